import type { Conv2dPlan, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { gatherImages, imagesPerChunk } from '../conv-batching.js';
import { col2im, validColumns } from '../im2col.js';
import { isDepthwise, isPointwise } from './conv2d.js';

/** dx = col2im(W^T dy) per chunk of images and group; the adjoint of Conv2D's im2col + GEMM. */
export const Conv2DBackpropInput: KernelFn<Float32Array, 'Conv2DBackpropInput'> = ({ dy, filter }, { plan }) => {
  const dx = alloc(plan.batch * plan.inChannels * plan.inHeight * plan.inWidth);
  if (isDepthwise(plan)) depthwise(plan, dy, filter, dx);
  else viaGemm(plan, dy, filter, dx);
  return dx;
};

function viaGemm(plan: Conv2dPlan, dy: Float32Array, filter: Float32Array, dx: Float32Array): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, groups: G } = plan;
  const P = plan.outHeight * plan.outWidth;
  const cg = C / G;
  const og = OC / G;
  const K = cg * plan.kernelHeight * plan.kernelWidth;
  const chunk = imagesPerChunk(plan);
  const direct = chunk === 1 && isPointwise(plan);
  const col = direct ? null : scratchF32('dcol', K * chunk * P);
  const staged = chunk > 1 ? scratchF32('conv-dy', og * chunk * P) : null;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const count = Math.min(chunk, N - n0);
    const ld = count * P;
    for (let g = 0; g < G; g++) {
      const a = view(filter, g * og * K, K, og, true);
      const dyAt = (j: number) => ((n0 + j) * OC + g * og) * P;
      const dxAt = (j: number) => ((n0 + j) * C + g * cg) * H * W;
      let b = view(dy, dyAt(0), og, P, false);
      if (staged) {
        gatherImages(dy, dyAt, count, og, P, staged);
        b = view(staged, 0, og, ld, false);
      }
      if (!col) {
        gemm(K, P, og, a, b, dx, dxAt(0), P);
        continue;
      }
      gemm(K, ld, og, a, b, col, 0, ld);
      for (let j = 0; j < count; j++) col2im(plan, col, cg, dx, dxAt(j), j * P, ld);
    }
  }
}

function depthwise(plan: Conv2dPlan, dy: Float32Array, filter: Float32Array, dx: Float32Array): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outHeight: OH, outWidth: OW } = plan;
  const { kernelHeight: KH, kernelWidth: KW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = plan;
  const mult = OC / C;
  const ranges = Array.from({ length: KW }, (_, kx) => validColumns(plan, kx));
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const plane = (n * C + Math.floor(oc / mult)) * H * W;
      const fAt = oc * KH * KW;
      for (let oh = 0; oh < OH; oh++) {
        const dyAt = ((n * OC + oc) * OH + oh) * OW;
        for (let ky = 0; ky < KH; ky++) {
          const ih = oh * sh - plan.padTop + ky * dh;
          if (ih < 0 || ih >= H) continue;
          const rowAt = plane + ih * W;
          for (let kx = 0; kx < KW; kx++) {
            const w = filter[fAt + ky * KW + kx]!;
            const [o0, o1] = ranges[kx]!;
            for (let ow = o0, s = rowAt + o0 * sw + kx * dw - plan.padLeft; ow < o1; ow++, s += sw) dx[s] += w * dy[dyAt + ow]!;
          }
        }
      }
    }
  }
}
