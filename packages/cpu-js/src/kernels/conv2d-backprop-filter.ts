import type { Conv2dPlan, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { im2col, validColumns } from '../im2col.js';
import { isDepthwise, isPointwise } from './conv2d.js';

/** dW[g] = sum over images of dy[g] col^T: one GEMM per image and group, accumulated in place. */
export const Conv2DBackpropFilter: KernelFn<Float32Array, 'Conv2DBackpropFilter'> = ({ x, dy }, { plan }) => {
  const [O, I, KH, KW] = plan.filterShape;
  const dw = alloc(O * I * KH * KW);
  if (isDepthwise(plan)) depthwise(plan, x, dy, dw);
  else viaGemm(plan, x, dy, dw);
  return dw;
};

function viaGemm(plan: Conv2dPlan, x: Float32Array, dy: Float32Array, dw: Float32Array): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, groups: G } = plan;
  const P = plan.outHeight * plan.outWidth;
  const cg = C / G;
  const og = OC / G;
  const K = cg * plan.kernelHeight * plan.kernelWidth;
  const pointwise = isPointwise(plan);
  const col = pointwise ? null : scratchF32('col', K * P);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xAt = (n * C + g * cg) * H * W;
      let b;
      if (col) {
        im2col(plan, x, xAt, cg, col);
        b = view(col, 0, P, K, true);
      } else b = view(x, xAt, P, K, true);
      gemm(og, K, P, view(dy, (n * OC + g * og) * P, og, P, false), b, dw, g * og * K, K, n > 0);
    }
  }
}

function depthwise(plan: Conv2dPlan, x: Float32Array, dy: Float32Array, dWeights: Float32Array): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outHeight: OH, outWidth: OW } = plan;
  const { kernelHeight: KH, kernelWidth: KW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = plan;
  const mult = OC / C;
  const ranges = Array.from({ length: KW }, (_, kx) => validColumns(plan, kx));
  const acc = new Float64Array(KH * KW);
  for (let oc = 0; oc < OC; oc++) {
    acc.fill(0);
    for (let n = 0; n < N; n++) {
      const plane = (n * C + Math.floor(oc / mult)) * H * W;
      for (let oh = 0; oh < OH; oh++) {
        const dyAt = ((n * OC + oc) * OH + oh) * OW;
        for (let ky = 0; ky < KH; ky++) {
          const ih = oh * sh - plan.padTop + ky * dh;
          if (ih < 0 || ih >= H) continue;
          const rowAt = plane + ih * W;
          for (let kx = 0; kx < KW; kx++) {
            const [o0, o1] = ranges[kx]!;
            let sum = 0;
            for (let ow = o0, s = rowAt + o0 * sw + kx * dw - plan.padLeft; ow < o1; ow++, s += sw) sum += x[s]! * dy[dyAt + ow]!;
            acc[ky * KW + kx] += sum;
          }
        }
      }
    }
    for (let i = 0; i < KH * KW; i++) dWeights[oc * KH * KW + i] = acc[i]!;
  }
}
