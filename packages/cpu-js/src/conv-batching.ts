import type { Conv2dPlan } from '@stridenet/core';

/**
 * How conv GEMMs are cut along their columns (output pixels). Small feature maps make thin GEMMs
 * (LeNet's second conv: 100 pixels per image), where packing and tile edges dominate, so several
 * images sit side by side in one column matrix of about one GEMM B block (1024 columns); their output
 * rows are copied to NCHW afterwards, which costs 1 / K of the GEMM. Large maps are cut into bands of
 * output rows of at most BAND_COLUMNS pixels, which bounds the im2col scratch (K x columns floats)
 * however large the image.
 */
const TARGET_COLUMNS = 1024;
const BAND_COLUMNS = 4096;

/** Images n0 .. n0 + count - 1, output rows [oh0, oh1) of each; `columns` = count * (oh1 - oh0) * outWidth. */
export interface ColumnBlock {
  n0: number;
  count: number;
  oh0: number;
  oh1: number;
  columns: number;
}

export function columnBlocks(plan: Conv2dPlan): ColumnBlock[] {
  const { batch: N, outHeight: OH, outWidth: OW } = plan;
  const P = OH * OW;
  const blocks: ColumnBlock[] = [];
  if (P <= TARGET_COLUMNS) {
    const chunk = Math.max(1, Math.min(N, Math.floor(TARGET_COLUMNS / P)));
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const count = Math.min(chunk, N - n0);
      blocks.push({ n0, count, oh0: 0, oh1: OH, columns: count * P });
    }
    return blocks;
  }
  const rows = Math.max(1, Math.floor(BAND_COLUMNS / OW));
  for (let n0 = 0; n0 < N; n0++) {
    for (let oh0 = 0; oh0 < OH; oh0 += rows) {
      const oh1 = Math.min(OH, oh0 + rows);
      blocks.push({ n0, count: 1, oh0, oh1, columns: (oh1 - oh0) * OW });
    }
  }
  return blocks;
}

/** The most columns any block of this plan has (scratch sizing). */
export function maxColumns(blocks: readonly ColumnBlock[]): number {
  let m = 0;
  for (const b of blocks) m = Math.max(m, b.columns);
  return m;
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
