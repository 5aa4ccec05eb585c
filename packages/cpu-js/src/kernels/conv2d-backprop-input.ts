import type { Conv2dPlan, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { columnBlocks, gatherImages, maxColumns } from '../conv-batching.js';
import { col2im } from '../im2col.js';
import { isDepthwise, isPointwise } from './conv2d.js';

/** dx = col2im(W^T dy) per column block (images or row bands) and group; the adjoint of Conv2D's im2col + GEMM. */
export const Conv2DBackpropInput: KernelFn<Float32Array, 'Conv2DBackpropInput'> = ({ dy, filter }, { plan }) => {
  const dx = alloc(plan.batch * plan.inChannels * plan.inHeight * plan.inWidth);
  if (isDepthwise(plan)) depthwise(plan, dy, filter, dx);
  else viaGemm(plan, dy, filter, dx);
  return dx;
};

function viaGemm(plan: Conv2dPlan, dy: Float32Array, filter: Float32Array, dx: Float32Array): void {
  const { inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outWidth: OW, groups: G } = plan;
  const P = plan.outHeight * OW;
  const cg = C / G;
  const og = OC / G;
  const K = cg * plan.kernelHeight * plan.kernelWidth;
  const blocks = columnBlocks(plan);
  const pointwise = isPointwise(plan);
  const cols = maxColumns(blocks);
  for (const { n0, count, oh0, oh1, columns } of blocks) {
    for (let g = 0; g < G; g++) {
      const a = view(filter, g * og * K, K, og, true);
      const dyAt = (j: number) => ((n0 + j) * OC + g * og) * P;
      const dxAt = (j: number) => ((n0 + j) * C + g * cg) * H * W;
      let b = { data: dy, offset: dyAt(0) + oh0 * OW, rowStride: P, colStride: 1 };
      if (count > 1) {
        const staged = scratchF32('conv-dy', og * cols);
        gatherImages(dy, dyAt, count, og, P, staged);
        b = view(staged, 0, og, columns, false);
      }
      if (count === 1 && pointwise) {
        // Stride 1 and no padding: the column matrix is dx's plane itself, and bands do not overlap.
        gemm(K, columns, og, a, b, dx, dxAt(0) + oh0 * OW, P);
        continue;
      }
      const col = scratchF32('dcol', K * cols);
      gemm(K, columns, og, a, b, col, 0, columns);
      const per = (oh1 - oh0) * OW;
      for (let j = 0; j < count; j++) col2im(plan, col, cg, dx, dxAt(j), j * per, columns, oh0, oh1);
    }
  }
}

/**
 * Scatters into a zero-bordered plane (no bounds tests), then keeps its interior. Output channels
 * that read the same input channel are taken four at a time, so each dx cell is loaded and stored
 * once per four multiply-adds.
 */
function depthwise(plan: Conv2dPlan, dy: Float32Array, filter: Float32Array, dx: Float32Array): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outHeight: OH, outWidth: OW } = plan;
  const { kernelHeight: KH, kernelWidth: KW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = plan;
  const mult = OC / C;
  const taps = KH * KW;
  const PW = W + plan.padLeft + plan.padRight;
  const PH = H + plan.padTop + plan.padBottom;
  const dxp = scratchF32('padded-plane', PH * PW);
  const tapAt = new Int32Array(taps);
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) tapAt[ky * KW + kx] = ky * dh * PW + kx * dw;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      dxp.fill(0, 0, PH * PW);
      for (let m = 0; m < mult; ) {
        const oc = c * mult + m;
        const four = m + 4 <= mult;
        for (let oh = 0; oh < OH; oh++) {
          const rowAt = oh * sh * PW;
          const r0 = ((n * OC + oc) * OH + oh) * OW;
          if (four) {
            const step = OH * OW;
            const r1 = r0 + step;
            const r2 = r1 + step;
            const r3 = r2 + step;
            for (let t = 0; t < taps; t++) {
              const w0 = filter[oc * taps + t]!;
              const w1 = filter[(oc + 1) * taps + t]!;
              const w2 = filter[(oc + 2) * taps + t]!;
              const w3 = filter[(oc + 3) * taps + t]!;
              const p = rowAt + tapAt[t]!;
              for (let ow = 0, q = p; ow < OW; ow++, q += sw) {
                dxp[q] += w0 * dy[r0 + ow]! + w1 * dy[r1 + ow]! + w2 * dy[r2 + ow]! + w3 * dy[r3 + ow]!;
              }
            }
          } else {
            for (let t = 0; t < taps; t++) {
              const w = filter[oc * taps + t]!;
              const p = rowAt + tapAt[t]!;
              for (let ow = 0, q = p; ow < OW; ow++, q += sw) dxp[q] += w * dy[r0 + ow]!;
            }
          }
        }
        m += four ? 4 : 1;
      }
      const plane = (n * C + c) * H * W;
      for (let h = 0; h < H; h++) {
        const src = (h + plan.padTop) * PW + plan.padLeft;
        dx.set(dxp.subarray(src, src + W), plane + h * W);
      }
    }
  }
}
