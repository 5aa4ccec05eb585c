import { planPool2d, type Pool2dOptions } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { describe, expect, it } from 'vitest';
import { kernels } from './kernels/index.js';
import { expectClose, rand } from './test/util.js';

const cases: [string, number[], Pool2dOptions][] = [
  ['2x2 stride 2', [2, 3, 8, 6], { window: 2 }],
  ['2x2 stride 2, odd input (last row and column unused)', [1, 2, 7, 5], { window: 2 }],
  ['2x2 stride 2, ceil mode (clipped last window)', [1, 2, 7, 5], { window: 2, ceilMode: true }],
  ['3x3 stride 2 odd input', [1, 2, 7, 9], { window: 3, stride: 2 }],
  ['ceil mode', [1, 2, 7, 8], { window: 3, stride: 2, ceilMode: true }],
  ['ceil mode with pads, include pad', [2, 1, 6, 7], { window: 3, stride: 2, padding: 1, ceilMode: true }],
  ['ceil mode with pads, exclude pad', [2, 1, 6, 7], { window: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
  ['asymmetric pads', [1, 2, 5, 6], { window: [3, 4], stride: [1, 2], padding: [1, 0, 2, 1] }],
  ['asymmetric pads exclude', [1, 2, 5, 6], { window: [3, 4], stride: [1, 2], padding: [0, 1, 1, 2], countIncludePad: false }],
  ['same', [1, 3, 5, 5], { window: 3, stride: 2, padding: 'same' }],
  ['overlapping stride 1', [1, 1, 6, 5], { window: [2, 3], stride: 1 }],
];

describe('pooling against the float64 reference', () => {
  for (const [name, shape, opts] of cases) {
    const plan = planPool2d(shape, opts);
    const x = rand(shape.reduce((a, b) => a * b), 21);
    const dy = rand(plan.outShape.reduce((a, b) => a * b), 22);
    it(`${name}: max and avg, forward and backward`, () => {
      expectClose(kernels.MaxPool2D({ x }, { plan }), R.maxPool2d(x, plan), 1e-6);
      expectClose(kernels.AvgPool2D({ x }, { plan }), R.avgPool2d(x, plan), 1e-6);
      expectClose(kernels.MaxPool2DGrad({ dy, x }, { plan }), R.maxPool2dGrad(dy, x, plan), 1e-6);
      expectClose(kernels.AvgPool2DGrad({ dy }, { plan }), R.avgPool2dGrad(dy, plan), 1e-6);
    });
  }

  it('max pool 2x2: NaN in any window position wins; ties go to the first maximum', () => {
    const plan = planPool2d([1, 1, 2, 8], { window: 2 });
    // Windows (rows x[0..7] and x[8..15]): [NaN,1;0,0] [2,2;2,2] [0,0;0,NaN] [0,5;0,0].
    const x = new Float32Array([NaN, 1, 2, 2, 0, 0, 0, 5, 0, 0, 2, 2, 0, NaN, 0, 0]);
    const y = kernels.MaxPool2D({ x }, { plan });
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(2);
    expect(y[2]).toBeNaN();
    expect(y[3]).toBe(5);
    const dx = kernels.MaxPool2DGrad({ dy: new Float32Array([1, 2, 3, 4]), x }, { plan });
    expect([...dx]).toEqual([1, 0, 2, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 3, 0, 0]);
  });

  it('max pool: NaN wins its window and takes the gradient; ties go to the first maximum', () => {
    const plan = planPool2d([1, 1, 2, 4], { window: 2 });
    // Window 0: [1, NaN; 5, 2] -> NaN at index 1. Window 1: [3, 3; 3, 1] -> first 3 (index 2).
    const x = new Float32Array([1, NaN, 3, 3, 5, 2, 3, 1]);
    const y = kernels.MaxPool2D({ x }, { plan });
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(3);
    const dx = kernels.MaxPool2DGrad({ dy: new Float32Array([10, 20]), x }, { plan });
    expect([...dx]).toEqual([0, 10, 20, 0, 0, 0, 0, 0]);
  });

  it('max pool: with several NaNs in a window the gradient goes to the last one (PyTorch)', () => {
    // 2x2 fast path. Windows: [NaN,NaN;1,2] -> index 1, [NaN,1;2,NaN] -> index 7.
    const plan = planPool2d([1, 1, 2, 4], { window: 2 });
    const x = new Float32Array([NaN, NaN, NaN, 1, 1, 2, 2, NaN]);
    expect([...kernels.MaxPool2DGrad({ dy: new Float32Array([10, 20]), x }, { plan })]).toEqual([0, 10, 0, 0, 0, 0, 0, 20]);
    // General path, one 2x3 window: [1,NaN,3;NaN,5,2] -> index 3.
    const wide = planPool2d([1, 1, 2, 3], { window: [2, 3] });
    const xw = new Float32Array([1, NaN, 3, NaN, 5, 2]);
    expect(kernels.MaxPool2D({ x: xw }, { plan: wide })[0]).toBeNaN();
    expect([...kernels.MaxPool2DGrad({ dy: new Float32Array([7]), x: xw }, { plan: wide })]).toEqual([0, 0, 0, 7, 0, 0]);
  });

  it('max pool: a window of -Infinity still routes its gradient to the first cell', () => {
    const plan = planPool2d([1, 1, 1, 2], { window: [1, 2] });
    const x = new Float32Array([-Infinity, -Infinity]);
    expect(kernels.MaxPool2D({ x }, { plan })[0]).toBe(-Infinity);
    expect([...kernels.MaxPool2DGrad({ dy: new Float32Array([1]), x }, { plan })]).toEqual([1, 0]);
  });

  it('avg pool with ceil mode: PyTorch divisor of the clipped last window', () => {
    // torch.nn.functional.avg_pool2d(arange(1..5).view(1,1,1,5), (1,2), ceil_mode=True) -> [1.5, 3.5, 5]
    const plan = planPool2d([1, 1, 1, 5], { window: [1, 2], ceilMode: true });
    expect([...kernels.AvgPool2D({ x: new Float32Array([1, 2, 3, 4, 5]) }, { plan })]).toEqual([1.5, 3.5, 5]);
  });
});
