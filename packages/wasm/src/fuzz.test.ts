import { describe, expect, it } from 'vitest';
import { createWasmBackend } from './index.js';
import { fuzzKernels } from '../test/fuzz.js';

// 10,000 seeded bad calls (test/fuzz.ts), on the single-threaded build and on the worker pool with
// every kernel split across threads: each must throw a typed error naming its kernel, and no canary
// tensor may change.
describe.each([
  { label: 'single-threaded', threads: 1, seed: 1 },
  { label: 'two threads', threads: 2, seed: 2 },
])('wasm kernel fuzz, $label', ({ threads, seed }) => {
  it('refuses 10,000 bad calls without touching any other tensor', async () => {
    const backend = await createWasmBackend({ threads, minParallelWork: 0 });
    const foreign = await createWasmBackend({ threads: 1 });
    const report = await fuzzKernels(backend, foreign, 10_000, seed);
    expect(report.failures.slice(0, 20)).toEqual([]);
    expect(report.corrupted).toEqual([]);
    expect(report.bad + report.good).toBe(10_000);
    expect(report.good).toBeGreaterThan(800);
    // Every mutation kind was drawn.
    expect(Object.keys(report.kinds).sort()).toEqual(
      ['badAttr', 'badSize', 'foreignHandle', 'forgedHandle', 'freedHandle', 'hugeEntry', 'malformedPlan', 'missingInput', 'negativeEntry', 'oversizePlan', 'wrongSize'],
    );
    backend.dispose();
    foreign.dispose();
  });
});
