import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, type WasmBackend } from './index.js';
import { runChecks } from '../test/checks.js';

const GROUPS = ['conv', 'pool', 'mat-mul', 'bias', 'binary', 'unary', 'reduce', 'softmax', 'batch-norm', 'dropout', 'layout', 'update'];

describe.each([
  { label: 'single-threaded', threads: 1 },
  // minParallelWork 0 sends even these small shapes through the worker pool.
  { label: 'two threads', threads: 2 },
])('wasm kernels vs float64 loops, $label', ({ threads }) => {
  let backend: WasmBackend;
  beforeAll(async () => {
    backend = await createWasmBackend({ threads, minParallelWork: 0 });
  });
  afterAll(() => backend.dispose());

  it('runs on the requested thread count', () => {
    expect(backend.info().threads).toBe(threads);
  });

  it.each(GROUPS)('%s', (group) => {
    const results = runChecks(backend, [group]);
    expect(results.length).toBeGreaterThan(0);
    const bad = results.filter((r) => !r.ok).map((r) => `${r.name}: max error ${r.maxError} > ${r.tolerance}`);
    expect(bad).toEqual([]);
  });

  it('frees everything it allocated', () => {
    runChecks(backend, ['conv']);
    const m = backend.memory();
    expect(m.bytes - m.pooledBytes!).toBe(0);
  });
});
