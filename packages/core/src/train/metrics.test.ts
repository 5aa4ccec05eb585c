import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { setBackend } from '../engine.js';
import { tensor } from '../ops/create.js';
import { oneHot, mseLoss, softmaxCrossEntropyLoss } from './losses.js';
import { accuracy, ConfusionMatrix, topK, topKAccuracy } from './metrics.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('losses', () => {
  it('one-hot with label smoothing', () => {
    expect(Array.from(oneHot([2, 0], 4))).toEqual([0, 0, 1, 0, 1, 0, 0, 0]);
    const s = oneHot(Int32Array.of(1), 4, 0.2);
    expect(Array.from(s).map((v) => +v.toFixed(6))).toEqual([0.05, 0.85, 0.05, 0.05]);
    expect(() => oneHot([4], 4)).toThrow(/labels\[0\] is 4 but expected an integer class in \[0, 3\]/);
  });

  it('cross-entropy with smoothing equals the float64 formula', async () => {
    const logits = [1, 2, 0.5, -1, 0, 3];
    const labels = Int32Array.of(1, 2);
    const eps = 0.1;
    let ref = 0;
    for (let i = 0; i < 2; i++) {
      const row = logits.slice(i * 3, i * 3 + 3);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      for (let c = 0; c < 3; c++) ref -= (c === labels[i] ? 1 - eps + eps / 3 : eps / 3) * (row[c]! - lse);
    }
    ref /= 2;
    const t = tensor(logits, [2, 3]);
    const l = softmaxCrossEntropyLoss(t, labels, { labelSmoothing: eps });
    expect((await l.data())[0]).toBeCloseTo(ref, 5);
    expect(() => softmaxCrossEntropyLoss(t, Int32Array.of(1))).toThrow(/labels length is 1 but expected 2/);
    const y = tensor([1, 1, 1, 1, 1, 1], [2, 3]);
    const mse = mseLoss(t, y);
    expect((await mse.data())[0]).toBeCloseTo(logits.reduce((a, v) => a + (v - 1) ** 2, 0) / 6, 5);
    for (const x of [t, l, y, mse]) x.dispose();
  });
});

describe('metrics', () => {
  const scores = [0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 0.6, 0.3, 0.1];
  const labels = Int32Array.of(1, 1, 2, 2);

  it('accuracy and top-k', () => {
    expect(accuracy(scores, labels, 3)).toBe(0.5);
    expect(topKAccuracy(scores, labels, 3, 1)).toBe(0.5);
    expect(topKAccuracy(scores, labels, 3, 2)).toBe(0.75);
    expect(topKAccuracy(scores, labels, 3, 3)).toBe(1);
    const t = topK(scores, 3, 2);
    expect(Array.from(t.indices)).toEqual([1, 2, 0, 1, 2, 1, 0, 1]);
    expect(Array.from(t.values)).toEqual([0.7, 0.2, 0.5, 0.3, 0.5, 0.3, 0.6, 0.3].map(Math.fround));
    expect(() => accuracy(scores, labels, 4)).toThrow(/scores length is 12/);
  });

  it('confusion matrix', () => {
    const cm = new ConfusionMatrix(3);
    cm.update(scores, labels);
    expect(cm.toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [1, 0, 1],
    ]);
    expect(cm.accuracy).toBe(0.5);
    expect(cm.recall()).toEqual([NaN, 0.5, 0.5]);
    expect(cm.precision()).toEqual([0, 1, 1]);
    expect(cm.toString(['a', 'b', 'c']).split('\n')).toHaveLength(4);
  });
});
