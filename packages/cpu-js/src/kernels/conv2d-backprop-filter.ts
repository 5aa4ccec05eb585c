import type { Conv2dPlan, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { gatherImages, imagesPerChunk } from '../conv-batching.js';
import { im2col, validColumns } from '../im2col.js';
import { isDepthwise, isPointwise } from './conv2d.js';

/** dW[g] = sum over images of dy[g] col^T: one GEMM per chunk of images and group, accumulated in place. */
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
  const chunk = imagesPerChunk(plan);
  const direct = chunk === 1 && isPointwise(plan);
  const col = direct ? null : scratchF32('col', K * chunk * P);
  const staged = chunk > 1 ? scratchF32('conv-dy', og * chunk * P) : null;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const count = Math.min(chunk, N - n0);
    const ld = count * P;
    for (let g = 0; g < G; g++) {
      const dyAt = (j: number) => ((n0 + j) * OC + g * og) * P;
      const b = col ? view(col, 0, ld, K, true) : view(x, (n0 * C + g * cg) * H * W, P, K, true);
      if (col) for (let j = 0; j < count; j++) im2col(plan, x, ((n0 + j) * C + g * cg) * H * W, cg, col, j * P, ld);
      let a = view(dy, dyAt(0), og, P, false);
      if (staged) {
        gatherImages(dy, dyAt, count, og, P, staged);
        a = view(staged, 0, og, ld, false);
      }
      gemm(og, K, ld, a, b, dw, g * og * K, K, n0 > 0);
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
