import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

// Layers under layers: engine <- autograd recording <- ops <- backward rules <- gradients. A circle
// (type-only imports included) means two of them have grown into each other.
describe('core imports', () => {
  it('form no circle', async () => {
    const src = fileURLToPath(new URL('.', import.meta.url));
    const graph = await madge(src, { fileExtensions: ['ts'], excludeRegExp: [/\.test\.ts$/] });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(50);
    expect(graph.circular()).toEqual([]);
  });
});
