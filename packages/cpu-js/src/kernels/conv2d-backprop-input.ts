import type { Conv2dPlan, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { col2im, validColumns } from '../im2col.js';
import { isDepthwise, isPointwise } from './conv2d.js';

/** dx = col2im(W^T dy) per image and group; the adjoint of Conv2D's im2col + GEMM. */
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
  const pointwise = isPointwise(plan);
  const col = pointwise ? null : scratchF32('dcol', K * P);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const a = view(filter, g * og * K, K, og, true);
      const b = view(dy, (n * OC + g * og) * P, og, P, false);
      const dxAt = (n * C + g * cg) * H * W;
      if (col) {
        gemm(K, P, og, a, b, col, 0, P);
        col2im(plan, col, cg, dx, dxAt);
      } else gemm(K, P, og, a, b, dx, dxAt, P);
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
