import { describe, expect, it } from 'vitest';
import { planPool2d, type Pool2dOptions } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { maxRelError, random } from '../testing/values.js';
import { useBackend } from '../testing/backend.js';

const { b, up, get } = useBackend();

const cases: { name: string; shape: number[]; o: Pool2dOptions }[] = [
  { name: '2x2 stride 2', shape: [2, 3, 8, 8], o: { window: 2 } },
  { name: '3x3 stride 2 pad 1', shape: [1, 4, 9, 7], o: { window: 3, stride: 2, padding: 1 } },
  { name: '3x3 stride 1 same', shape: [2, 2, 6, 5], o: { window: 3, stride: 1, padding: 'same' } },
  { name: 'ceil mode, exclude pad', shape: [1, 2, 7, 7], o: { window: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false } },
  { name: 'rectangular window', shape: [1, 1, 5, 11], o: { window: [2, 3], stride: [1, 2] } },
];

describe('pooling vs float64 loops', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planPool2d(c.shape, c.o);
      const x = random(plan.inShape.reduce((a, d) => a * d), 4);
      const dy = random(plan.outShape.reduce((a, d) => a * d), 8);
      const hx = up(x);
      const hdy = up(dy);
      expect(maxRelError(get(b().kernels.MaxPool2D({ x: hx }, { plan })), R.maxPool2d(x, plan))).toBe(0);
      expect(maxRelError(get(b().kernels.AvgPool2D({ x: hx }, { plan })), R.avgPool2d(x, plan))).toBeLessThan(1e-6);
      expect(maxRelError(get(b().kernels.MaxPool2DGrad({ dy: hdy, x: hx }, { plan })), R.maxPool2dGrad(dy, x, plan))).toBeLessThan(1e-6);
      expect(maxRelError(get(b().kernels.AvgPool2DGrad({ dy: hdy }, { plan })), R.avgPool2dGrad(dy, plan))).toBeLessThan(1e-6);
      b().free(hx);
      b().free(hdy);
    });
  }

  it('propagates NaN and routes its gradient to the NaN cell; ties go to the first maximum', () => {
    const plan = planPool2d([1, 1, 2, 4], { window: 2 });
    const x = [1, NaN, 5, 5, 3, 2, 5, 1];
    const y = get(b().kernels.MaxPool2D({ x: up(x) }, { plan }));
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(5);
    const dx = get(b().kernels.MaxPool2DGrad({ dy: up([10, 20]), x: up(x) }, { plan }));
    expect(Array.from(dx)).toEqual([0, 10, 20, 0, 0, 0, 0, 0]);
  });

  it('routes the gradient to the last of several NaNs in a window (PyTorch)', () => {
    // Windows [NaN,NaN;1,2] and [NaN,1;2,NaN] on the 2x2 path; one 2x3 window on the scalar path (stride 3).
    const plan = planPool2d([1, 1, 2, 4], { window: 2 });
    const x = [NaN, NaN, NaN, 1, 1, 2, 2, NaN];
    expect(Array.from(get(b().kernels.MaxPool2DGrad({ dy: up([10, 20]), x: up(x) }, { plan })))).toEqual([0, 10, 0, 0, 0, 0, 0, 20]);
    const wide = planPool2d([1, 1, 2, 3], { window: [2, 3], stride: 3 });
    const xw = [1, NaN, 3, NaN, 5, 2];
    expect(Array.from(get(b().kernels.MaxPool2DGrad({ dy: up([7]), x: up(xw) }, { plan: wide })))).toEqual([0, 0, 0, 7, 0, 0]);
  });
});
