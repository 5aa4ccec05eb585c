// Issue 14: compile(model, { mode: 'inference' }) gives eager's logits within 1e-5 relative for every zoo model.
import { expect, it } from 'vitest';
import { runCompiledConformance } from '@stridenet/conformance';
import { compile, createModel, getBackend, Rng, setBackend, tensor } from '@stridenet/core';
import { createNativeBackend } from './index.js';

runCompiledConformance('native', () => createNativeBackend({ threads: 2 }));

it("slices ResNet-20 b64 by the native budget ('auto'): at most half of eager's peak activation bytes, same logits", async () => {
  await setBackend(await createNativeBackend({ threads: 1 }));
  expect(getBackend().info().compiledSliceBytes).toBe(4 * 1024 * 1024);
  const m = createModel('resnet20', { seed: 5 });
  const c = await compile(m, { mode: 'inference' });
  expect(c.sliceSize(64)).toBe(16);
  expect(c.sliceSize(32)).toBe(32);
  const x = tensor(new Rng(6).normal(64 * 3 * 32 * 32), [64, 3, 32, 32]);
  const p = await c.profileMemory(x);
  // Stage 1 of ResNet-20: 16 x 32 x 32 floats a sample, three alive at a residual conv.
  expect(p.eagerPeakActivationBytes).toBe(64 * 3 * 16 * 32 * 32 * 4);
  expect(p.compiledPeakActivationBytes).toBeLessThanOrEqual(p.eagerPeakActivationBytes / 2);
  const [y, e] = [c.run(x), m.forward(x, { training: false, rng: new Rng(0) })];
  const [a, b] = [await y.data(), await e.data()];
  const scale = Math.max(...Array.from(b, Math.abs));
  expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))) / scale).toBeLessThan(1e-5);
  [x, y, e].forEach((t) => t.dispose());
  c.dispose();
  m.dispose();
}, 120_000);

it('gives each pool thread its own 4 MiB of a slice: at 2 threads ResNet-20 b64 runs whole, b128 in slices of 32', async () => {
  const two = await createNativeBackend({ threads: 2 });
  expect(two.info().compiledSliceBytes).toBe(2 * 4 * 1024 * 1024);
  await setBackend(two);
  const m = createModel('resnet20', { seed: 5 });
  const c = await compile(m, { mode: 'inference' });
  expect([64, 128].map((b) => c.sliceSize(b))).toEqual([64, 32]);
  c.dispose();
  m.dispose();
});
