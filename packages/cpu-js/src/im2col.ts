import type { Conv2dPlan } from '@stridenet/core';

/**
 * The input columns a conv reads, for one image and one group: col[(c * kh + ky) * kw + kx, oh * outW + ow]
 * = x[c, oh * sh - padTop + ky * dh, ow * sw - padLeft + kx * dw], zero outside the input.
 * Only output rows [oh0, oh1) are written (column (oh - oh0) * outW + ow), with row stride `ld` and
 * first column `colOffset`, so a large map can be done in row bands and small maps of several
 * images can sit side by side.
 * The valid output-column range of each kernel column is computed once, so the copy loops have no
 * per-element bounds test.
 */
export function im2col(
  plan: Conv2dPlan,
  x: Float32Array,
  xOffset: number,
  channels: number,
  col: Float32Array,
  colOffset = 0,
  ld = plan.outHeight * plan.outWidth,
  oh0 = 0,
  oh1 = plan.outHeight,
): void {
  const { inHeight: H, inWidth: W, outWidth: OW, kernelHeight: KH, kernelWidth: KW } = plan;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padTop, padLeft } = plan;
  const [owStart, owEnd] = columnRanges(plan);
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * H * W;
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, row++) {
        const base = colOffset + row * ld;
        const o0 = owStart[kx]!;
        const o1 = owEnd[kx]!;
        const xShift = kx * dw - padLeft;
        for (let oh = oh0; oh < oh1; oh++) {
          const d = base + (oh - oh0) * OW;
          const ih = oh * sh - padTop + ky * dh;
          if (ih < 0 || ih >= H || o0 >= o1) {
            col.fill(0, d, d + OW);
            continue;
          }
          if (o0 > 0) col.fill(0, d, d + o0);
          const src = plane + ih * W + xShift;
          if (sw === 1) {
            for (let ow = o0; ow < o1; ow++) col[d + ow] = x[src + ow]!;
          } else {
            for (let ow = o0, s = src + o0 * sw; ow < o1; ow++, s += sw) col[d + ow] = x[s]!;
          }
          if (o1 < OW) col.fill(0, d + o1, d + OW);
        }
      }
    }
  }
}

/** Adds columns back into the image (the adjoint of im2col): dx[...] += col[...]. dx must be zeroed by the caller. */
export function col2im(
  plan: Conv2dPlan,
  col: Float32Array,
  channels: number,
  dx: Float32Array,
  dxOffset: number,
  colOffset = 0,
  ld = plan.outHeight * plan.outWidth,
  oh0 = 0,
  oh1 = plan.outHeight,
): void {
  const { inHeight: H, inWidth: W, outWidth: OW, kernelHeight: KH, kernelWidth: KW } = plan;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padTop, padLeft } = plan;
  const [owStart, owEnd] = columnRanges(plan);
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = dxOffset + c * H * W;
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, row++) {
        const base = colOffset + row * ld;
        const o0 = owStart[kx]!;
        const o1 = owEnd[kx]!;
        if (o0 >= o1) continue;
        const xShift = kx * dw - padLeft;
        for (let oh = oh0; oh < oh1; oh++) {
          const ih = oh * sh - padTop + ky * dh;
          if (ih < 0 || ih >= H) continue;
          const d = base + (oh - oh0) * OW;
          const dst = plane + ih * W + xShift;
          if (sw === 1) {
            for (let ow = o0; ow < o1; ow++) dx[dst + ow] += col[d + ow]!;
          } else {
            for (let ow = o0, s = dst + o0 * sw; ow < o1; ow++, s += sw) dx[s] += col[d + ow]!;
          }
        }
      }
    }
  }
}

/** Output columns [start, end) of kernel column kx whose input column lies inside [0, inWidth). */
export function validColumns(plan: Conv2dPlan, kx: number): [number, number] {
  // iw = ow * strideWidth + shift must satisfy 0 <= iw < inWidth.
  const shift = kx * plan.dilationWidth - plan.padLeft;
  const sw = plan.strideWidth;
  const s = shift >= 0 ? 0 : Math.ceil(-shift / sw);
  const e = plan.inWidth - shift <= 0 ? 0 : Math.ceil((plan.inWidth - shift) / sw);
  const start = Math.min(s, plan.outWidth);
  return [start, Math.max(Math.min(e, plan.outWidth), start)];
}

function columnRanges(plan: Conv2dPlan): [Int32Array, Int32Array] {
  const start = new Int32Array(plan.kernelWidth);
  const end = new Int32Array(plan.kernelWidth);
  for (let kx = 0; kx < plan.kernelWidth; kx++) [start[kx], end[kx]] = validColumns(plan, kx);
  return [start, end];
}

/**
 * Copies one input plane into a zero-bordered plane of (inHeight + padTop + padBottom) x
 * (inWidth + padLeft + padRight), so direct conv loops read every tap without a bounds test.
 * Returns the padded row length.
 */
export function padPlane(plan: Conv2dPlan, x: Float32Array, planeOffset: number, dst: Float32Array): number {
  const { inHeight: H, inWidth: W, padTop, padLeft } = plan;
  const PW = W + padLeft + plan.padRight;
  const PH = H + padTop + plan.padBottom;
  if (padTop > 0) dst.fill(0, 0, padTop * PW);
  for (let h = 0; h < H; h++) {
    const row = (h + padTop) * PW;
    if (padLeft > 0) dst.fill(0, row, row + padLeft);
    dst.set(x.subarray(planeOffset + h * W, planeOffset + (h + 1) * W), row + padLeft);
    if (plan.padRight > 0) dst.fill(0, row + padLeft + W, row + PW);
  }
  if (plan.padBottom > 0) dst.fill(0, (H + padTop) * PW, PH * PW);
  return PW;
}
