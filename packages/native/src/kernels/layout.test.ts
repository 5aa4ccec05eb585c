import { describe, expect, it } from 'vitest';
import { planConcat, planPad, planSlice, planTranspose } from '@stridenet/core';
import { random } from '../testing/values.js';
import { useBackend } from '../testing/backend.js';

const { b, up, get } = useBackend();

function index(shape: readonly number[], flat: number): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}
function flat(shape: readonly number[], idx: readonly number[]): number {
  return idx.reduce((a, v, d) => a * shape[d]! + v, 0);
}

describe('layout kernels vs index arithmetic', () => {
  it('Transpose', () => {
    const shape = [2, 3, 4, 5];
    const x = random(120, 1);
    for (const perm of [[0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3]]) {
      const plan = planTranspose(shape, perm);
      const y = get(b().kernels.Transpose({ x: up(x) }, { plan }));
      for (let i = 0; i < 120; i++) {
        const o = index(plan.outShape, i);
        const src = new Array<number>(4);
        perm.forEach((p, d) => (src[p] = o[d]!));
        expect(y[i]).toBe(x[flat(shape, src)]);
      }
    }
  });

  it('Slice', () => {
    const shape = [3, 4, 5];
    const x = random(60, 2);
    const plan = planSlice(shape, [1, 0, 2], [2, -1, 2]);
    const y = get(b().kernels.Slice({ x: up(x) }, { plan }));
    expect(y.length).toBe(2 * 4 * 2);
    for (let i = 0; i < y.length; i++) {
      const o = index(plan.outShape, i);
      expect(y[i]).toBe(x[flat(shape, [o[0]! + 1, o[1]!, o[2]! + 2])]);
    }
  });

  it('Pad', () => {
    const shape = [2, 3, 2];
    const x = random(12, 3);
    const plan = planPad(shape, [[1, 0], [0, 2], [1, 1]]);
    const y = get(b().kernels.Pad({ x: up(x) }, { plan, value: -7 }));
    for (let i = 0; i < y.length; i++) {
      const o = index(plan.outShape, i);
      const src = [o[0]! - 1, o[1]!, o[2]! - 1];
      const inside = src.every((v, d) => v >= 0 && v < shape[d]!);
      expect(y[i]).toBe(inside ? x[flat(shape, src)] : -7);
    }
  });

  it('Concat on a middle axis', () => {
    const shapes = [[2, 1, 3], [2, 4, 3], [2, 2, 3]];
    const xs = shapes.map((s, i) => random(s[0]! * s[1]! * s[2]!, i + 4));
    const plan = planConcat(shapes, 1);
    const y = get(b().kernels.Concat({ xs: xs.map((x) => up(x)) }, { plan }));
    let at = 0;
    for (let o = 0; o < 2; o++) for (const [i, s] of shapes.entries()) for (let k = 0; k < s[1]! * 3; k++) expect(y[at++]).toBe(xs[i]![o * s[1]! * 3 + k]);
  });
});
