/**
 * Single-threaded float32 GEMM for conv and matmul: C = op(A) op(B) (+ C) with an optional bias and
 * ReLU epilogue. Goto-style blocking: a KC x NC slice of B and an MC x KC slice of A are packed
 * into Float64Array panels (NR columns / MR rows interleaved per k) so the micro-kernel walks both
 * with unit stride and keeps an MR x NR accumulator block in locals. Transposes and arbitrary
 * strides cost nothing extra: they are absorbed while packing.
 *
 * Packing into float64 avoids a float32 -> float64 conversion per operand load in the inner loop
 * and accumulates in double precision within each K block.
 */

/** A strided view: element (i, j) is data[offset + i * rowStride + j * colStride]. */
export interface MatrixView {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

export interface GemmEpilogue {
  /** Added to every element of row i (conv output channels); length >= m. */
  biasRow?: Float32Array | null;
  /** Added to every element of column j (dense layers); length >= n. */
  biasCol?: Float32Array | null;
  relu?: boolean;
}

const MR = 4;
const NR = 8;
// KC * NR * 8 bytes of B panel plus MR * KC * 8 of A stay in L1; MC * KC * 8 (A block) in L2.
const KC = 256;
const MC = 64;
const NC = 1024;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(NC * KC);
const edge = new Float32Array(MR * NR);

/**
 * C[m, n] (row stride ldc, starting at cOffset) = A[m, k] B[k, n], or C += A B when `accumulate`.
 * The epilogue (bias, relu) is applied after the full sum, so with `accumulate` it sees the total.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: MatrixView,
  b: MatrixView,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  accumulate = false,
  epilogue?: GemmEpilogue,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
  } else {
    const ncMax = Math.min(NC, roundUp(n, NR));
    const kcMax = Math.min(KC, k);
    if (packB.length < ncMax * kcMax) packB = new Float64Array(ncMax * kcMax);
    if (packA.length < MC * kcMax) packA = new Float64Array(MC * kcMax);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        const overwrite = pc === 0 && !accumulate;
        packPanelsB(b, pc, jc, kc, nc);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          packPanelsA(a, ic, pc, mc, kc);
          for (let jr = 0; jr < nc; jr += NR) {
            const nr = Math.min(NR, nc - jr);
            const bBase = jr * kc;
            for (let ir = 0; ir < mc; ir += MR) {
              const mr = Math.min(MR, mc - ir);
              const cAt = cOffset + (ic + ir) * ldc + jc + jr;
              if (mr === MR && nr === NR) micro4x8(kc, packA, ir * kc, packB, bBase, c, cAt, ldc, overwrite);
              else microEdge(kc, packA, ir * kc, packB, bBase, c, cAt, ldc, overwrite, mr, nr);
            }
          }
        }
      }
    }
  }
  if (epilogue) applyEpilogue(m, n, c, cOffset, ldc, epilogue);
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** B[pc.., jc..] (kc x nc) into panels of NR columns: panel jp holds kc rows of NR values; missing columns are 0. */
function packPanelsB(b: MatrixView, pc: number, jc: number, kc: number, nc: number): void {
  const dst = packB;
  const src = b.data;
  const rs = b.rowStride;
  const cs = b.colStride;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let d = jr * kc;
    let rowAt = b.offset + pc * rs + (jc + jr) * cs;
    if (nr === NR && cs === 1) {
      for (let p = 0; p < kc; p++, rowAt += rs, d += NR) {
        dst[d] = src[rowAt]!;
        dst[d + 1] = src[rowAt + 1]!;
        dst[d + 2] = src[rowAt + 2]!;
        dst[d + 3] = src[rowAt + 3]!;
        dst[d + 4] = src[rowAt + 4]!;
        dst[d + 5] = src[rowAt + 5]!;
        dst[d + 6] = src[rowAt + 6]!;
        dst[d + 7] = src[rowAt + 7]!;
      }
    } else {
      for (let p = 0; p < kc; p++, rowAt += rs, d += NR) {
        let j = 0;
        for (let at = rowAt; j < nr; j++, at += cs) dst[d + j] = src[at]!;
        for (; j < NR; j++) dst[d + j] = 0;
      }
    }
  }
}

/** A[ic.., pc..] (mc x kc) into panels of MR rows: panel ip holds kc columns of MR values; missing rows are 0. */
function packPanelsA(a: MatrixView, ic: number, pc: number, mc: number, kc: number): void {
  const dst = packA;
  const src = a.data;
  const rs = a.rowStride;
  const cs = a.colStride;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    let d = ir * kc;
    let colAt = a.offset + (ic + ir) * rs + pc * cs;
    if (mr === MR) {
      const r1 = rs;
      const r2 = 2 * rs;
      const r3 = 3 * rs;
      for (let p = 0; p < kc; p++, colAt += cs, d += MR) {
        dst[d] = src[colAt]!;
        dst[d + 1] = src[colAt + r1]!;
        dst[d + 2] = src[colAt + r2]!;
        dst[d + 3] = src[colAt + r3]!;
      }
    } else {
      for (let p = 0; p < kc; p++, colAt += cs, d += MR) {
        let i = 0;
        for (let at = colAt; i < mr; i++, at += rs) dst[d + i] = src[at]!;
        for (; i < MR; i++) dst[d + i] = 0;
      }
    }
  }
}

function micro4x8(
  kc: number,
  pa: Float64Array,
  aAt: number,
  pb: Float64Array,
  bAt: number,
  c: Float32Array,
  cAt: number,
  ldc: number,
  overwrite: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let p = 0; p < kc; p++, aAt += MR, bAt += NR) {
    const a0 = pa[aAt]!, a1 = pa[aAt + 1]!, a2 = pa[aAt + 2]!, a3 = pa[aAt + 3]!;
    let b = pb[bAt]!;
    c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; c30 += a3 * b;
    b = pb[bAt + 1]!;
    c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; c31 += a3 * b;
    b = pb[bAt + 2]!;
    c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; c32 += a3 * b;
    b = pb[bAt + 3]!;
    c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; c33 += a3 * b;
    b = pb[bAt + 4]!;
    c04 += a0 * b; c14 += a1 * b; c24 += a2 * b; c34 += a3 * b;
    b = pb[bAt + 5]!;
    c05 += a0 * b; c15 += a1 * b; c25 += a2 * b; c35 += a3 * b;
    b = pb[bAt + 6]!;
    c06 += a0 * b; c16 += a1 * b; c26 += a2 * b; c36 += a3 * b;
    b = pb[bAt + 7]!;
    c07 += a0 * b; c17 += a1 * b; c27 += a2 * b; c37 += a3 * b;
  }
  let r = cAt;
  if (overwrite) {
    c[r] = c00; c[r + 1] = c01; c[r + 2] = c02; c[r + 3] = c03; c[r + 4] = c04; c[r + 5] = c05; c[r + 6] = c06; c[r + 7] = c07;
    r += ldc;
    c[r] = c10; c[r + 1] = c11; c[r + 2] = c12; c[r + 3] = c13; c[r + 4] = c14; c[r + 5] = c15; c[r + 6] = c16; c[r + 7] = c17;
    r += ldc;
    c[r] = c20; c[r + 1] = c21; c[r + 2] = c22; c[r + 3] = c23; c[r + 4] = c24; c[r + 5] = c25; c[r + 6] = c26; c[r + 7] = c27;
    r += ldc;
    c[r] = c30; c[r + 1] = c31; c[r + 2] = c32; c[r + 3] = c33; c[r + 4] = c34; c[r + 5] = c35; c[r + 6] = c36; c[r + 7] = c37;
  } else {
    c[r] += c00; c[r + 1] += c01; c[r + 2] += c02; c[r + 3] += c03; c[r + 4] += c04; c[r + 5] += c05; c[r + 6] += c06; c[r + 7] += c07;
    r += ldc;
    c[r] += c10; c[r + 1] += c11; c[r + 2] += c12; c[r + 3] += c13; c[r + 4] += c14; c[r + 5] += c15; c[r + 6] += c16; c[r + 7] += c17;
    r += ldc;
    c[r] += c20; c[r + 1] += c21; c[r + 2] += c22; c[r + 3] += c23; c[r + 4] += c24; c[r + 5] += c25; c[r + 6] += c26; c[r + 7] += c27;
    r += ldc;
    c[r] += c30; c[r + 1] += c31; c[r + 2] += c32; c[r + 3] += c33; c[r + 4] += c34; c[r + 5] += c35; c[r + 6] += c36; c[r + 7] += c37;
  }
}

/**
 * Partial tiles at the bottom/right edges: the packed panels are zero-filled past the matrix, so the
 * full micro-kernel runs into a scratch tile and only the valid part is copied out.
 */
function microEdge(
  kc: number,
  pa: Float64Array,
  aAt: number,
  pb: Float64Array,
  bAt: number,
  c: Float32Array,
  cAt: number,
  ldc: number,
  overwrite: boolean,
  mr: number,
  nr: number,
): void {
  micro4x8(kc, pa, aAt, pb, bAt, edge, 0, NR, true);
  for (let i = 0; i < mr; i++) {
    const r = cAt + i * ldc;
    const row = i * NR;
    if (overwrite) for (let j = 0; j < nr; j++) c[r + j] = edge[row + j]!;
    else for (let j = 0; j < nr; j++) c[r + j] += edge[row + j]!;
  }
}

function applyEpilogue(m: number, n: number, c: Float32Array, cOffset: number, ldc: number, e: GemmEpilogue): void {
  const { biasRow, biasCol } = e;
  const relu = e.relu === true;
  if (!biasRow && !biasCol && !relu) return;
  for (let i = 0; i < m; i++) {
    const r = cOffset + i * ldc;
    const br = biasRow ? biasRow[i]! : 0;
    if (biasCol) {
      if (relu) {
        for (let j = 0; j < n; j++) {
          const v = c[r + j]! + br + biasCol[j]!;
          // `v < 0 ? 0 : v` keeps NaN (PyTorch relu propagates it).
          c[r + j] = v < 0 ? 0 : v;
        }
      } else for (let j = 0; j < n; j++) c[r + j] = c[r + j]! + br + biasCol[j]!;
    } else if (relu) {
      for (let j = 0; j < n; j++) {
        const v = c[r + j]! + br;
        c[r + j] = v < 0 ? 0 : v;
      }
    } else if (br !== 0) for (let j = 0; j < n; j++) c[r + j] = c[r + j]! + br;
  }
}

/** Row-major view helper: `transposed` reads a matrix stored [cols, rows]. */
export function view(data: Float32Array, offset: number, rows: number, cols: number, transposed: boolean): MatrixView {
  return transposed ? { data, offset, rowStride: 1, colStride: rows } : { data, offset, rowStride: cols, colStride: 1 };
}
