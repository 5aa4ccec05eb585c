import type { Conv2dPlan, FusedActivation, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { columnBlocks, maxColumns, scatterImages } from '../conv-batching.js';
import { im2col, padPlane } from '../im2col.js';

/**
 * One input channel per group (depthwise, and single-channel inputs such as LeNet's first layer) goes
 * through direct loops: im2col would copy each input value KH x KW times for a GEMM with K = KH x KW.
 */
export function isDepthwise(plan: Conv2dPlan): boolean {
  return plan.filterShape[1] === 1 && plan.groups === plan.inChannels;
}

/** 1x1, stride 1, no padding: the input plane already is the column matrix. */
export function isPointwise(plan: Conv2dPlan): boolean {
  return (
    plan.kernelHeight === 1 &&
    plan.kernelWidth === 1 &&
    plan.strideHeight === 1 &&
    plan.strideWidth === 1 &&
    plan.padTop === 0 &&
    plan.padBottom === 0 &&
    plan.padLeft === 0 &&
    plan.padRight === 0
  );
}

export const Conv2D: KernelFn<Float32Array, 'Conv2D'> = ({ x, filter, bias, residual }, { plan, activation }) => {
  const out = alloc(plan.batch * plan.outChannels * plan.outHeight * plan.outWidth);
  // With a residual the activation waits for the sum: act(conv + bias + residual).
  const inner = residual ? 'linear' : activation;
  if (isDepthwise(plan)) conv2dDepthwise(plan, x, filter, bias ?? null, inner, out);
  else conv2dGemm(plan, x, filter, bias ?? null, inner, out);
  if (residual) addResidual(out, residual, activation === 'relu');
  return out;
};

/** out = act(out + residual), element-wise over the whole output (same NCHW layout). */
function addResidual(out: Float32Array, residual: Float32Array, relu: boolean): void {
  if (relu) {
    for (let i = 0; i < out.length; i++) {
      const v = out[i]! + residual[i]!;
      // NaN passes through like the reference's relu.
      out[i] = v < 0 ? 0 : v;
    }
  } else {
    for (let i = 0; i < out.length; i++) out[i]! += residual[i]!;
  }
}

function conv2dGemm(
  plan: Conv2dPlan,
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | null,
  activation: FusedActivation,
  out: Float32Array,
): void {
  const { inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outWidth: OW, groups: G } = plan;
  const P = plan.outHeight * OW;
  const cg = C / G;
  const og = OC / G;
  const K = cg * plan.kernelHeight * plan.kernelWidth;
  const blocks = columnBlocks(plan);
  const pointwise = isPointwise(plan);
  const cols = maxColumns(blocks);
  const relu = activation === 'relu';
  for (const { n0, count, oh0, oh1, columns } of blocks) {
    for (let g = 0; g < G; g++) {
      const a = view(filter, g * og * K, og, K, false);
      const biasRow = bias ? (G === 1 ? bias : bias.subarray(g * og, (g + 1) * og)) : null;
      const xAt = (j: number) => ((n0 + j) * C + g * cg) * H * W;
      const outAt = (j: number) => ((n0 + j) * OC + g * og) * P;
      if (count === 1 && pointwise) {
        // The input plane already is the column matrix (row stride H * W = P).
        const b = { data: x, offset: xAt(0) + oh0 * OW, rowStride: P, colStride: 1 };
        gemm(og, columns, K, a, b, out, outAt(0) + oh0 * OW, P, false, { biasRow, relu });
        continue;
      }
      const col = scratchF32('col', K * cols);
      const per = (oh1 - oh0) * OW;
      for (let j = 0; j < count; j++) im2col(plan, x, xAt(j), cg, col, j * per, columns, oh0, oh1);
      const b = view(col, 0, K, columns, false);
      if (count === 1) {
        gemm(og, columns, K, a, b, out, outAt(0) + oh0 * OW, P, false, { biasRow, relu });
      } else {
        const staged = scratchF32('conv-out', og * cols);
        gemm(og, columns, K, a, b, staged, 0, columns, false, { biasRow, relu });
        scatterImages(staged, count, og, P, out, outAt);
      }
    }
  }
}

/**
 * Direct loops over a zero-padded copy of each input plane: four adjacent outputs accumulate in
 * locals, so each tap costs one weight load and four input loads, with no bounds tests.
 */
function conv2dDepthwise(
  plan: Conv2dPlan,
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | null,
  activation: FusedActivation,
  out: Float32Array,
): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, outHeight: OH, outWidth: OW } = plan;
  const { kernelHeight: KH, kernelWidth: KW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = plan;
  const mult = OC / C;
  const taps = KH * KW;
  const xp = scratchF32('padded-plane', (H + plan.padTop + plan.padBottom) * (W + plan.padLeft + plan.padRight));
  // Input offset of each tap relative to the window's top-left corner in the padded plane.
  const tapAt = new Int32Array(taps);
  const PW = W + plan.padLeft + plan.padRight;
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) tapAt[ky * KW + kx] = ky * dh * PW + kx * dw;
  const relu = activation === 'relu';
  const s1 = sw;
  const s2 = 2 * sw;
  const s3 = 3 * sw;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      padPlane(plan, x, (n * C + c) * H * W, xp);
      for (let m = 0; m < mult; m++) {
        const oc = c * mult + m;
        const fAt = oc * taps;
        const b = bias ? bias[oc]! : 0;
        let o = (n * OC + oc) * OH * OW;
        for (let oh = 0; oh < OH; oh++) {
          const rowAt = oh * sh * PW;
          let ow = 0;
          for (; ow + 4 <= OW; ow += 4, o += 4) {
            const at = rowAt + ow * sw;
            let a0 = b, a1 = b, a2 = b, a3 = b;
            for (let t = 0; t < taps; t++) {
              const w = filter[fAt + t]!;
              const p = at + tapAt[t]!;
              a0 += w * xp[p]!;
              a1 += w * xp[p + s1]!;
              a2 += w * xp[p + s2]!;
              a3 += w * xp[p + s3]!;
            }
            if (relu) {
              out[o] = a0 < 0 ? 0 : a0;
              out[o + 1] = a1 < 0 ? 0 : a1;
              out[o + 2] = a2 < 0 ? 0 : a2;
              out[o + 3] = a3 < 0 ? 0 : a3;
            } else {
              out[o] = a0;
              out[o + 1] = a1;
              out[o + 2] = a2;
              out[o + 3] = a3;
            }
          }
          for (; ow < OW; ow++, o++) {
            const at = rowAt + ow * sw;
            let a = b;
            for (let t = 0; t < taps; t++) a += filter[fAt + t]! * xp[at + tapAt[t]!]!;
            out[o] = relu && a < 0 ? 0 : a;
          }
        }
      }
    }
  }
}
