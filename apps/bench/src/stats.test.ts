import { Rng } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { mergeReports, upgradeReport } from './merge.js';
import { isTie, median, medianInterval, ratioInterval, shuffled } from './stats.js';
import { syntheticReport } from './testutil.js';
import { validateReport } from './schema.js';

describe('bootstrap intervals (fixed seeds)', () => {
  const a = [10.2, 9.8, 10.1, 10.0, 9.9, 10.4, 10.0];

  it('the median interval holds the median, is reproducible and narrows with less spread', () => {
    const ci = medianInterval(a, 7);
    expect(ci.lo).toBeLessThanOrEqual(median(a));
    expect(ci.hi).toBeGreaterThanOrEqual(median(a));
    expect(medianInterval(a, 7)).toEqual(ci);
    expect(ci).toEqual({ lo: 9.9, hi: 10.2 });
    const tight = medianInterval(a.map((x) => 10 + (x - 10) / 10), 7);
    expect(tight.hi - tight.lo).toBeCloseTo((ci.hi - ci.lo) / 10, 10);
    expect(medianInterval([3], 1)).toEqual({ lo: 3, hi: 3 });
  });

  it('a clear difference is not a tie; overlapping samples are', () => {
    const fast = a.map((x) => x / 2);
    const clear = ratioInterval(a, fast, 3);
    expect(clear.lo).toBeGreaterThan(1.9);
    expect(clear.hi).toBeLessThan(2.1);
    expect(isTie(clear)).toBe(false);
    // The PyTorch LeNet-5 case of the issue: 6.95-15.8 ms against a steady runner near 9 ms.
    const noisy = [6.95, 15.8, 8.1, 12.4, 7.3, 9.9, 11.0];
    const steady = [9.0, 9.1, 8.9, 9.0, 9.2, 8.95, 9.05];
    const k = ratioInterval(noisy, steady, 3);
    expect(k.lo).toBeLessThan(1);
    expect(k.hi).toBeGreaterThan(1);
    expect(isTie(k)).toBe(true);
    expect(isTie({ lo: 1, hi: 1.2 })).toBe(true);
    expect(isTie({ lo: 1.01, hi: 1.2 })).toBe(false);
    expect(() => ratioInterval([], [1])).toThrow(/sample set is empty/);
  });

  it('the runner order is shuffled per repetition, the same for one seed', () => {
    const ids = ['cpu-js', 'wasm', 'native', 'onnxruntime', 'torch'];
    const r1 = new Rng(1);
    const orders = Array.from({ length: 7 }, () => shuffled(ids, r1).join(','));
    const r2 = new Rng(1);
    expect(Array.from({ length: 7 }, () => shuffled(ids, r2).join(','))).toEqual(orders);
    expect(new Set(orders).size).toBeGreaterThan(3);
    for (const o of orders) expect(o.split(',').sort()).toEqual([...ids].sort());
  });
});

describe('merging runs', () => {
  it('keeps the best run per cell with the spread, and a wrong run marks the cell wrong', () => {
    const r1 = syntheticReport({ 'model/lenet5/infer': { native: 2, torch: 5 } });
    const r2 = syntheticReport({ 'model/lenet5/infer': { native: 3, torch: 4 } }, { 'model/lenet5/infer|native': { correct: false, deviation: { maxAbs: 1, relative: 1 } } });
    const m = mergeReports([r1, r2]);
    const native = m.results.find((r) => r.runner === 'native')!;
    expect(native.timing!.medianMs).toBe(2);
    expect(native.runs!.map((x) => x.medianMs)).toEqual([2, 3]);
    expect(native.correct).toBe(false);
    expect(m.results.find((r) => r.runner === 'torch')!.timing!.medianMs).toBe(4);
    expect(m.settings.repeat).toBe(2);
    expect(validateReport(m)).toEqual([]);
  });

  it('puts thread settings side by side', () => {
    const m = mergeReports([syntheticReport({ 'model/lenet5/infer': { native: 2 } }, {}, 1), syntheticReport({ 'model/lenet5/infer': { native: 1 } }, {}, 2)]);
    expect(m.settings.threads).toEqual([1, 2]);
    expect(m.results.map((r) => `${r.runner}@${r.threads}`).sort()).toEqual(['native@1', 'native@2']);
    expect(validateReport(m)).toEqual([]);
  });

  it('reads a v1 report as v2; its training cells become unchecked', () => {
    const v2 = syntheticReport({ 'model/lenet5/train': { native: 2 } });
    const v1 = JSON.parse(JSON.stringify(v2));
    v1.version = 1;
    v1.schema = 'stridenet-bench/v1';
    for (const r of v1.results) delete r.threads, delete r.check, delete r.timing.ci95Ms;
    for (const r of v1.runners) delete r.requestedThreads;
    const up = upgradeReport(v1) as typeof v2;
    expect(validateReport(up)).toEqual([]);
    expect(up.results[0]!.correct).toBeUndefined();
  });
});
