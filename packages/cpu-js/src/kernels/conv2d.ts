import type { Conv2dPlan, FusedActivation, KernelFn } from '@stridenet/core';
import { alloc, scratchF32 } from '../buffers.js';
import { gemm, view } from '../gemm.js';
import { imagesPerChunk, scatterImages } from '../conv-batching.js';
import { im2col, validColumns } from '../im2col.js';

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

export const Conv2D: KernelFn<Float32Array, 'Conv2D'> = ({ x, filter, bias }, { plan, activation }) => {
  const out = alloc(plan.batch * plan.outChannels * plan.outHeight * plan.outWidth);
  if (isDepthwise(plan)) conv2dDepthwise(plan, x, filter, bias ?? null, activation, out);
  else conv2dGemm(plan, x, filter, bias ?? null, activation, out);
  return out;
};

function conv2dGemm(
  plan: Conv2dPlan,
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | null,
  activation: FusedActivation,
  out: Float32Array,
): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: OC, groups: G } = plan;
  const P = plan.outHeight * plan.outWidth;
  const cg = C / G;
  const og = OC / G;
  const K = cg * plan.kernelHeight * plan.kernelWidth;
  const chunk = imagesPerChunk(plan);
  const direct = chunk === 1 && isPointwise(plan);
  const col = direct ? null : scratchF32('col', K * chunk * P);
  const staged = chunk > 1 ? scratchF32('conv-out', og * chunk * P) : null;
  const relu = activation === 'relu';
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const count = Math.min(chunk, N - n0);
    const ld = count * P;
    for (let g = 0; g < G; g++) {
      const a = view(filter, g * og * K, og, K, false);
      const biasRow = bias ? (G === 1 ? bias : bias.subarray(g * og, (g + 1) * og)) : null;
      const outAt = (j: number) => ((n0 + j) * OC + g * og) * P;
      if (!col) {
        gemm(og, P, K, a, view(x, (n0 * C + g * cg) * H * W, K, P, false), out, outAt(0), P, false, { biasRow, relu });
        continue;
      }
      for (let j = 0; j < count; j++) im2col(plan, x, ((n0 + j) * C + g * cg) * H * W, cg, col, j * P, ld);
      if (staged) {
        gemm(og, ld, K, a, view(col, 0, K, ld, false), staged, 0, ld, false, { biasRow, relu });
        scatterImages(staged, count, og, P, out, outAt);
      } else gemm(og, P, K, a, view(col, 0, K, P, false), out, outAt(0), P, false, { biasRow, relu });
    }
  }
}

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
  const ranges = Array.from({ length: KW }, (_, kx) => validColumns(plan, kx));
  const acc = new Float64Array(OW);
  const relu = activation === 'relu';
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < OC; oc++) {
      const plane = (n * C + Math.floor(oc / mult)) * H * W;
      const fAt = oc * KH * KW;
      const b = bias ? bias[oc]! : 0;
      for (let oh = 0; oh < OH; oh++) {
        acc.fill(0);
        for (let ky = 0; ky < KH; ky++) {
          const ih = oh * sh - plan.padTop + ky * dh;
          if (ih < 0 || ih >= H) continue;
          const rowAt = plane + ih * W;
          for (let kx = 0; kx < KW; kx++) {
            const w = filter[fAt + ky * KW + kx]!;
            const [o0, o1] = ranges[kx]!;
            for (let ow = o0, s = rowAt + o0 * sw + kx * dw - plan.padLeft; ow < o1; ow++, s += sw) acc[ow] += w * x[s]!;
          }
        }
        const o = ((n * OC + oc) * OH + oh) * OW;
        if (relu) {
          for (let ow = 0; ow < OW; ow++) {
            const v = acc[ow]! + b;
            out[o + ow] = v < 0 ? 0 : v;
          }
        } else for (let ow = 0; ow < OW; ow++) out[o + ow] = acc[ow]! + b;
      }
    }
  }
}
