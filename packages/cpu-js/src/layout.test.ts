import { planConcat, planPad, planSlice, planTranspose } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { kernels } from './kernels/index.js';

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

/** Flat index of a multi-index in a row-major shape. */
const at = (shape: readonly number[], idx: number[]) => idx.reduce((acc, v, d) => acc * shape[d]! + v, 0);

function* indices(shape: readonly number[]): Generator<number[]> {
  const idx = shape.map(() => 0);
  const size = shape.reduce((a, b) => a * b, 1);
  for (let n = 0; n < size; n++) {
    yield [...idx];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

describe('layout kernels', () => {
  it('transpose rank 4 (NCHW -> NHWC) and rank 1', () => {
    const shape = [2, 3, 4, 5];
    const perm = [0, 2, 3, 1];
    const plan = planTranspose(shape, perm);
    const y = kernels.Transpose({ x: iota(120) }, { plan });
    for (const o of indices(plan.outShape)) {
      const src = shape.map((_, d) => o[perm.indexOf(d)]!);
      expect(y[at(plan.outShape, o)]).toBe(at(shape, src));
    }
    expect([...kernels.Transpose({ x: iota(3) }, { plan: planTranspose([3], [0]) })]).toEqual([0, 1, 2]);
  });

  it('slice rank 3 and rank 1', () => {
    const shape = [3, 4, 5];
    const plan = planSlice(shape, [1, 1, 2], [2, -1, 2]);
    const y = kernels.Slice({ x: iota(60) }, { plan });
    expect(plan.outShape).toEqual([2, 3, 2]);
    for (const o of indices(plan.outShape)) expect(y[at(plan.outShape, o)]).toBe(at(shape, [o[0]! + 1, o[1]! + 1, o[2]! + 2]));
    expect([...kernels.Slice({ x: iota(5) }, { plan: planSlice([5], [3], [2]) })]).toEqual([3, 4]);
  });

  it('pad with a value', () => {
    const shape = [2, 2, 3];
    const plan = planPad(shape, [[1, 0], [0, 2], [2, 1]]);
    const y = kernels.Pad({ x: iota(12) }, { plan, value: -1 });
    for (const o of indices(plan.outShape)) {
      const src = [o[0]! - 1, o[1]!, o[2]! - 2];
      const inside = src.every((v, d) => v >= 0 && v < shape[d]!);
      expect(y[at(plan.outShape, o)]).toBe(inside ? at(shape, src) : -1);
    }
  });

  it('concat along a middle axis', () => {
    const plan = planConcat([[2, 1, 3], [2, 2, 3]], 1);
    const a = iota(6);
    const b = iota(12).map((v) => 100 + v);
    expect([...kernels.Concat({ xs: [a, b] }, { plan })]).toEqual([0, 1, 2, 100, 101, 102, 103, 104, 105, 3, 4, 5, 106, 107, 108, 109, 110, 111]);
  });
});
