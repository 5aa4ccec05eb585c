import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend } from '../engine.js';
import { tensor } from './create.js';
import { batchNorm } from './normalization.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('batchNorm training options', () => {
  it('updates running statistics in place, and a refused call leaves them and memory as they were', async () => {
    const x = tensor([1, 2, 3, 4, 6, 8], [3, 2]);
    const g = tensor([1, 1], [2]);
    const b = tensor([0, 0], [2]);
    const mean = tensor([0.5, -1], [2]);
    const variance = tensor([2, 1], [2]);
    const before = memory().tensors;
    const bad: [unknown, RegExp][] = [
      [{ mean, variance, momentum: -0.1 }, /^batchNorm: running\.momentum is -0\.1 but expected a number in \[0, 1\]/],
      [{ mean, variance: mean, momentum: 0.1 }, /^batchNorm: running\.variance is 'the running\.mean tensor' but expected a tensor of its own/],
      [{ mean: g, variance, momentum: 0.1 }, /^batchNorm: running\.mean is 'the gamma tensor' but expected a tensor of its own/],
      [{ mean, variance: [1, 1], momentum: 0.1 }, /^batchNorm: running\.variance is \[1,1\] but expected a float32 Tensor of shape \[2\]/],
      [{ mean, variance, momentum: 0.1, decay: 1 }, /^batchNorm: unknown option 'decay'/],
      [5, /^batchNorm: running is 5 but expected \{ mean, variance, momentum \}/],
    ];
    for (const [running, message] of bad) {
      expect(() => batchNorm(x, g, b, { training: true, running } as never)).toThrow(message);
    }
    expect(memory().tensors).toBe(before);
    expect(Array.from(await mean.data())).toEqual([0.5, -1]);
    expect(Array.from(await variance.data())).toEqual([2, 1]);
    const r = batchNorm(x, g, b, { training: true, running: { mean, variance, momentum: 0.5 } });
    // column 0: 1, 3, 6 (mean 10/3, unbiased variance 19/3); column 1: 2, 4, 8 (mean 14/3, unbiased 28/3)
    const [m, v] = [await mean.data(), await variance.data()];
    expect(m[0]).toBeCloseTo(0.25 + 5 / 3, 5);
    expect(m[1]).toBeCloseTo(-0.5 + 7 / 3, 5);
    expect(v[0]).toBeCloseTo(1 + 19 / 6, 5);
    expect(v[1]).toBeCloseTo(0.5 + 28 / 6, 5);
    for (const t of [x, g, b, mean, variance, r.y, r.mean!, r.variance!]) t.dispose();
  });
});
