import type { Conv2dPlan, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { columnBlocks, gatherImages, maxColumns } from '../conv-batching.js';
import { im2col, padPlane } from '../im2col.js';
import { isDepthwise, isPointwise } from './conv2d.js';

/** dW[g] = sum over column blocks (images or row bands) of dy[g] col^T, accumulated in place by the GEMM. */
export const Conv2DBackpropFilter: KernelFn<Float32Array, 'Conv2DBackpropFilter'> = ({ x, dy }, { plan }) => {
  const [O, I, KH, KW] = plan.filterShape;
  const dw = alloc(O * I * KH * KW);
  if (isDepthwise(plan)) depthwise(plan, x, dy, dw);
  else viaGemm(plan, x, dy, dw);
  return dw;
};

function viaGemm(plan: Conv2dPlan, x: Float32Array, dy: Float32Array, dw: Float32Array): void {
  const { inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outWidth: OW, groups: G } = plan;
  const P = plan.outHeight * OW;
  const cg = C / G;
  const og = OC / G;
  const K = cg * plan.kernelHeight * plan.kernelWidth;
  const blocks = columnBlocks(plan);
  const pointwise = isPointwise(plan);
  const cols = maxColumns(blocks);
  let first = true;
  for (const { n0, count, oh0, oh1, columns } of blocks) {
    for (let g = 0; g < G; g++) {
      const xAt = (j: number) => ((n0 + j) * C + g * cg) * H * W;
      const dyAt = (j: number) => ((n0 + j) * OC + g * og) * P;
      // B = columns^T: element (p, k) of the [columns, K] matrix.
      let b;
      if (count === 1 && pointwise) b = { data: x, offset: xAt(0) + oh0 * OW, rowStride: 1, colStride: P };
      else {
        const col = scratchF32('col', K * cols);
        const per = (oh1 - oh0) * OW;
        for (let j = 0; j < count; j++) im2col(plan, x, xAt(j), cg, col, j * per, columns, oh0, oh1);
        b = view(col, 0, columns, K, true);
      }
      let a = { data: dy, offset: dyAt(0) + oh0 * OW, rowStride: P, colStride: 1 };
      if (count > 1) {
        const staged = scratchF32('conv-dy', og * cols);
        gatherImages(dy, dyAt, count, og, P, staged);
        a = view(staged, 0, og, columns, false);
      }
      gemm(og, K, columns, a, b, dw, g * og * K, K, !first);
    }
    first = false;
  }
}

/**
 * Direct loops over a zero-padded copy of each input plane; four taps share each dy load and
 * accumulate in locals across a whole output row.
 */
function depthwise(plan: Conv2dPlan, x: Float32Array, dy: Float32Array, dWeights: Float32Array): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outHeight: OH, outWidth: OW } = plan;
  const { kernelHeight: KH, kernelWidth: KW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = plan;
  const mult = OC / C;
  const taps = KH * KW;
  const PW = W + plan.padLeft + plan.padRight;
  const xp = scratchF32('padded-plane', (H + plan.padTop + plan.padBottom) * PW);
  const tapAt = new Int32Array(taps);
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) tapAt[ky * KW + kx] = ky * dh * PW + kx * dw;
  const acc = new Float64Array(OC * taps);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      padPlane(plan, x, (n * C + c) * H * W, xp);
      for (let m = 0; m < mult; m++) {
        const oc = c * mult + m;
        const accAt = oc * taps;
        for (let oh = 0; oh < OH; oh++) {
          const dyAt = ((n * OC + oc) * OH + oh) * OW;
          const rowAt = oh * sh * PW;
          let t = 0;
          for (; t + 4 <= taps; t += 4) {
            const p0 = rowAt + tapAt[t]!;
            const p1 = rowAt + tapAt[t + 1]!;
            const p2 = rowAt + tapAt[t + 2]!;
            const p3 = rowAt + tapAt[t + 3]!;
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (let ow = 0, q = 0; ow < OW; ow++, q += sw) {
              const g = dy[dyAt + ow]!;
              s0 += g * xp[p0 + q]!;
              s1 += g * xp[p1 + q]!;
              s2 += g * xp[p2 + q]!;
              s3 += g * xp[p3 + q]!;
            }
            acc[accAt + t] += s0;
            acc[accAt + t + 1] += s1;
            acc[accAt + t + 2] += s2;
            acc[accAt + t + 3] += s3;
          }
          for (; t < taps; t++) {
            const p = rowAt + tapAt[t]!;
            let s = 0;
            for (let ow = 0, q = 0; ow < OW; ow++, q += sw) s += dy[dyAt + ow]! * xp[p + q]!;
            acc[accAt + t] += s;
          }
        }
      }
    }
  }
  dWeights.set(acc);
}
