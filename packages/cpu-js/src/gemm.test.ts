import { planMatMul } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { describe, expect, it } from 'vitest';
import { gemm, view } from './gemm.js';
import { expectClose, rand } from './test/util.js';

/** The conformance suite's float64 MatMul for op(a) [m, k] times op(b) [k, n]. */
function reference(m: number, n: number, k: number, a: Float32Array, ta: boolean, b: Float32Array, tb: boolean): Float64Array {
  return R.matMul(a, b, undefined, planMatMul(ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb));
}

describe('gemm', () => {
  // Odd sizes hit every edge tile; k > 256 and n > 1024 cross the K and N blocking.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 16],
    [13, 17, 300],
    [67, 9, 5],
    [5, 1030, 3],
  ];
  for (const [m, n, k] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${m}x${n}x${k} transposeA=${ta} transposeB=${tb}`, () => {
        const a = rand(m * k, m + 3 * k);
        const b = rand(k * n, n + 7);
        const c = new Float32Array(m * n);
        gemm(m, n, k, view(a, 0, m, k, ta), view(b, 0, k, n, tb), c, 0, n);
        expectClose(c, reference(m, n, k, a, ta, b, tb), 1e-5);
      });
    }
  }

  it('accumulates, writes into a strided sub-block and applies bias + relu after the full sum', () => {
    const [m, n, k, ldc] = [6, 10, 9, 13];
    const a = rand(m * k, 5);
    const b = rand(k * n, 6);
    const c = rand(m * ldc + 2, 7);
    const before = c.slice();
    const biasRow = rand(m, 8);
    const biasCol = rand(n, 9);
    gemm(m, n, k, view(a, 0, m, k, false), view(b, 0, k, n, false), c, 2, ldc, true, { biasRow, biasCol, relu: true });
    const ref = reference(m, n, k, a, false, b, false);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < ldc; j++) {
        const at = 2 + i * ldc + j;
        if (j >= n) {
          expect(c[at]).toBe(before[at]);
          continue;
        }
        const e = Math.max(0, before[at]! + ref[i * n + j]! + biasRow[i]! + biasCol[j]!);
        expect(Math.abs(c[at]! - e)).toBeLessThan(1e-5);
      }
  });

  it('k = 0 gives zeros (or leaves C when accumulating)', () => {
    const c = new Float32Array([5, 5, 5, 5]);
    gemm(2, 2, 0, view(new Float32Array(0), 0, 2, 0, false), view(new Float32Array(0), 0, 0, 2, false), c, 0, 2);
    expect([...c]).toEqual([0, 0, 0, 0]);
  });

  it('relu keeps NaN', () => {
    const c = new Float32Array(1);
    gemm(1, 1, 1, view(new Float32Array([NaN]), 0, 1, 1, false), view(new Float32Array([1]), 0, 1, 1, false), c, 0, 1, false, { relu: true });
    expect(c[0]).toBeNaN();
  });
});
