import { describe, expect, it } from 'vitest';
import { planMatMul } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { maxRelError, random } from '../testing/values.js';
import { useBackend } from '../testing/backend.js';

const { b, up, get } = useBackend();

describe('MatMul vs float64 loops', () => {
  // Odd sizes hit partial 6x16 tiles; 300 crosses the 256 K-block and 168 M-block edges.
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [7, 5, 3],
    [37, 53, 29],
    [200, 70, 300],
  ];
  for (const [m, n, k] of sizes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`${m}x${n}x${k} transposeA=${tA} transposeB=${tB}`, () => {
          const plan = planMatMul(tA ? [k, m] : [m, k], tB ? [n, k] : [k, n], tA, tB);
          const a = random(m * k, m + 1);
          const bb = random(k * n, n + 2);
          const bias = random(n, 9);
          const c = get(b().kernels.MatMul({ a: up(a), b: up(bb), bias: up(bias) }, { plan, activation: 'relu' }));
          expect(maxRelError(c, R.matMul(a, bb, bias, plan, 'relu'))).toBeLessThan(1e-5);
        });
      }
    }
  }

  it('keeps NaN through the fused relu', () => {
    const plan = planMatMul([1, 2], [2, 1]);
    const c = get(b().kernels.MatMul({ a: up([NaN, 1]), b: up([1, 1]) }, { plan, activation: 'relu' }));
    expect(Number.isNaN(c[0])).toBe(true);
  });
});
