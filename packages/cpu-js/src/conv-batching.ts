import type { Conv2dPlan } from '@stridenet/core';

/**
 * Small feature maps make thin GEMMs (LeNet's second conv: 100 output pixels per image), where
 * packing and tile edges dominate. Putting several images side by side in one column matrix gives
 * the GEMM about one full B block (1024 columns) per call; the per-image output rows are then copied
 * to NCHW, which costs 1 / K of the GEMM.
 */
const TARGET_COLUMNS = 1024;

export function imagesPerChunk(plan: Conv2dPlan): number {
  const P = plan.outHeight * plan.outWidth;
  return Math.max(1, Math.min(plan.batch, Math.floor(TARGET_COLUMNS / P)));
}

/**
 * Moves `rows` rows of `len` values between an NCHW tensor (rows of image j start at
 * nchwOffset(j), consecutive) and a [rows, count * len] matrix (image j at column j * len).
 */
export function gatherImages(
  src: Float32Array,
  nchwOffset: (j: number) => number,
  count: number,
  rows: number,
  len: number,
  dst: Float32Array,
): void {
  const ld = count * len;
  for (let j = 0; j < count; j++) {
    const base = nchwOffset(j);
    for (let i = 0; i < rows; i++) dst.set(src.subarray(base + i * len, base + (i + 1) * len), i * ld + j * len);
  }
}

export function scatterImages(
  src: Float32Array,
  count: number,
  rows: number,
  len: number,
  dst: Float32Array,
  nchwOffset: (j: number) => number,
): void {
  const ld = count * len;
  for (let j = 0; j < count; j++) {
    const base = nchwOffset(j);
    for (let i = 0; i < rows; i++) dst.set(src.subarray(i * ld + j * len, i * ld + (j + 1) * len), base + i * len);
  }
}
