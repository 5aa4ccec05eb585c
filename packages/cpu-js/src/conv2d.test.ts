import { planConv2d, type Conv2dOptions } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { describe, expect, it } from 'vitest';
import { kernels } from './kernels/index.js';
import { expectClose, rand } from './test/util.js';

const cases: [string, number[], number[], Conv2dOptions][] = [
  ['plain 3x3', [2, 3, 7, 6], [4, 3, 3, 3], {}],
  ['odd sizes, stride 2, same', [1, 5, 9, 11], [7, 5, 3, 2], { stride: 2, padding: 'same' }],
  ['asymmetric pads', [2, 2, 6, 5], [3, 2, 3, 4], { padding: [2, 0, 1, 3] }],
  ['dilation 2x3 with stride [2,1]', [1, 3, 11, 12], [5, 3, 3, 3], { dilation: [2, 3], stride: [2, 1], padding: 1 }],
  ['groups 2', [2, 4, 8, 7], [6, 2, 3, 3], { groups: 2, padding: 1 }],
  ['groups 3 strided', [1, 6, 9, 9], [9, 2, 2, 3], { groups: 3, stride: [2, 3], padding: [1, 0, 1, 1] }],
  ['depthwise', [2, 4, 7, 8], [4, 1, 3, 3], { groups: 4, padding: 1 }],
  ['depthwise multiplier 2, stride 2, dilation', [1, 3, 10, 9], [6, 1, 3, 2], { groups: 3, stride: 2, dilation: 2, padding: [2, 1, 0, 2] }],
  ['pointwise 1x1', [2, 5, 4, 3], [3, 5, 1, 1], {}],
  ['1x1 strided', [1, 3, 5, 5], [2, 3, 1, 1], { stride: 2 }],
  ['single input channel (LeNet conv1)', [3, 1, 12, 12], [6, 1, 5, 5], { padding: 2 }],
  ['kernel wider than input + pads', [1, 2, 3, 2], [2, 2, 3, 5], { padding: [0, 0, 2, 1] }],
  ['many channels (K > 256)', [1, 40, 5, 5], [3, 40, 3, 3], { padding: 1 }],
  // Output sizes that change how many images share one GEMM: 576 (one per GEMM), 400 (two, with a remainder of one).
  ['large map, one image per GEMM', [2, 2, 24, 24], [3, 2, 3, 3], { padding: 1 }],
  ['two images per GEMM with a remainder', [3, 4, 22, 22], [4, 2, 3, 3], { groups: 2 }],
  ['pointwise large map, groups 3', [2, 3, 32, 32], [6, 1, 1, 1], { groups: 3 }],
  ['pointwise large map', [2, 4, 32, 32], [5, 4, 1, 1], {}],
  // Output maps above 4096 pixels are done in bands of output rows.
  ['row bands (70x70 output)', [1, 2, 70, 70], [3, 2, 3, 3], { padding: 1 }],
  ['row bands, strided, two images, asymmetric pads', [2, 2, 140, 141], [2, 2, 3, 3], { stride: 2, padding: [1, 0, 0, 1] }],
  ['row bands, pointwise', [1, 3, 72, 72], [2, 3, 1, 1], {}],
];

describe('Conv2D and its gradients against the float64 reference', () => {
  for (const [name, xs, ws, opts] of cases) {
    const plan = planConv2d(xs, ws, opts);
    const x = rand(plan.inShape.reduce((a, b) => a * b), 11);
    const w = rand(plan.filterShape.reduce((a, b) => a * b), 12);
    const ySize = plan.outShape.reduce((a, b) => a * b);

    it(`${name}: forward, with bias and relu`, () => {
      expectClose(kernels.Conv2D({ x, filter: w }, { plan, activation: 'linear' }), R.conv2d(x, w, undefined, plan), 1e-5);
      const bias = rand(plan.outChannels, 13);
      expectClose(kernels.Conv2D({ x, filter: w, bias }, { plan, activation: 'relu' }), R.conv2d(x, w, bias, plan, 'relu'), 1e-5);
    });

    it(`${name}: backprop input and filter`, () => {
      const dy = rand(ySize, 14);
      expectClose(kernels.Conv2DBackpropInput({ dy, filter: w }, { plan }), R.conv2dBackpropInput(dy, w, plan), 1e-5);
      expectClose(kernels.Conv2DBackpropFilter({ x, dy }, { plan }), R.conv2dBackpropFilter(x, dy, plan), 1e-5);
    });
  }

  it('NaN in the input reaches exactly the outputs that read it', () => {
    const plan = planConv2d([1, 1, 4, 4], [1, 1, 2, 2], {});
    const x = new Float32Array(16).fill(1);
    x[0] = NaN;
    const y = kernels.Conv2D({ x, filter: new Float32Array(4).fill(1) }, { plan, activation: 'relu' });
    expect(y[0]).toBeNaN();
    expect([...y.subarray(1)].every((v) => v === 4)).toBe(true);
  });
});
