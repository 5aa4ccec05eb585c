// im2col packing straight into the GEMM's panel layouts, so the column matrix is never materialised
// in full: only one KC x NC block per thread at a time.
import { NR } from './gemm';
import { imax, imin } from './common';


/**
 * Floats the forward packers may read past the last cell they use, or (8) before the first: the
 * allocator keeps that much readable memory around every block (src/allocator.ts).
 */
export const OVERREAD_FLOATS: i32 = 16;

/**
 * Floats between B panels for the forward packers: one spare row per panel, because a piece of a
 * row is written as a whole 8-float v128 pair that may spill into the next row (rewritten later).
 */
// @ts-ignore: decorator
@inline export function im2colPanelStride(kc: i32): i32 {
  return (kc + 1) * NR;
}

// @ts-ignore: decorator
@inline function even8(s: usize, d: usize): void {
  // Cells s[0], s[2], ..., s[14] (stride 2) to d[0..8).
  v128.store(d, v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
  v128.store(d, v128.shuffle<f32>(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6), 16);
}

/**
 * Writes columns [jA, jB) of panel row `row` (a pointer to panel 0, row p): zeros when `src` is 0,
 * else cells src[i * sW]. Each piece up to the next panel boundary is one 8-float store pair; what
 * spills past the piece is overwritten by the next piece or by the next row, so pieces must be
 * written in increasing column order and rows in increasing p.
 */
// @ts-ignore: decorator
@inline function runPieces(row: usize, PS: i32, jA: i32, jB: i32, src: usize, sW: i32): void {
  let jj = jA;
  let sp = src;
  const z = f32x4.splat(0);
  while (jj < jB) {
    const L = imin(8 - (jj & 7), jB - jj);
    const d = row + (<usize>((jj >> 3) * PS + (jj & 7)) << 2);
    if (src == 0) {
      v128.store(d, z);
      v128.store(d, z, 16);
    } else if (sW == 1) {
      v128.store(d, v128.load(sp));
      v128.store(d, v128.load(sp, 16), 16);
      sp += <usize>L << 2;
    } else {
      even8(sp, d);
      sp += <usize>L << 3;
    }
    jj += L;
  }
}

/**
 * Forward im2col for stride-1 and stride-2 rows, packed straight into GEMM B panels (stride
 * im2colPanelStride(kc)): B[p][j] = im2col row k0 + p, column F0 + j, where column F counts output
 * positions across images (image F / OHW), so one block may span several small images. Each output
 * row's stretch of a B row is a zero prefix, a run of input cells (copied with v128 loads, strided
 * ones de-interleaved) and a zero suffix. Columns past nc in the last panel are zeroed.
 */
export function packIm2colRows(
  dst: usize, x: usize, imgStride: i32, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32,
  sH: i32, sW: i32, dH: i32, dW: i32, pT: i32, pL: i32, k0: i32, kc: i32, F0: i32, nc: i32,
): void {
  const PS = im2colPanelStride(kc);
  const khw = KH * KW;
  const OHW = OH * OW;
  const n0 = F0 / OHW;
  const r0 = F0 - n0 * OHW;
  const oh0 = r0 / OW;
  const ow0 = r0 - oh0 * OW;
  // Rows that are whole 8-column groups (the common case) take a branch-free masked path.
  const aligned = (OW & 7) == 0 && (F0 & 7) == 0 && (nc & 7) == 0;
  const z = f32x4.splat(0);
  const lanes0 = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(sW)), lanes1 = i32x4.mul(i32x4(4, 5, 6, 7), i32x4.splat(sW));
  for (let p = 0; p < kc; p++) {
    const kidx = k0 + p;
    const ci = kidx / khw;
    const r = kidx - ci * khw;
    const kh = r / KW;
    const kw = r - kh * KW;
    const offW = kw * dW - pL;
    const offH = kh * dH - pT;
    // Output columns whose input column lies inside the row: [owLo, owHi).
    const owLo = offW >= 0 ? 0 : (sW - 1 - offW) / sW;
    const owHi = imin(OW, W - 1 - offW >= 0 ? (W - 1 - offW) / sW + 1 : 0);
    const row = dst + (<usize>(p * NR) << 2);
    const planeOff = x + (<usize>(ci * H * W) << 2);
    let n = n0, oh = oh0, ow = ow0;
    if (aligned && offW >= -8) {
      // Every 8 columns lie in one output row: load the 8 cells (reaching at most 8 floats before
      // the row, or past its end) and zero the lanes outside the input with a mask.
      const Wv = i32x4.splat(W), minus1 = i32x4.splat(-1);
      let d = row;
      for (let jj = 0; jj < nc; jj += 8, d += <usize>PS << 2) {
        const ih = oh * sH + offH;
        if (<u32>ih >= <u32>H) {
          v128.store(d, z);
          v128.store(d, z, 16);
        } else {
          const iw0 = ow * sW + offW;
          const sp = planeOff + (<usize>(n * imgStride + ih * W) << 2) + (<isize>iw0 << 2);
          const iv = i32x4.splat(iw0);
          const a0 = i32x4.add(iv, lanes0), a1 = i32x4.add(iv, lanes1);
          const m0 = v128.and(i32x4.gt_s(a0, minus1), i32x4.lt_s(a0, Wv));
          const m1 = v128.and(i32x4.gt_s(a1, minus1), i32x4.lt_s(a1, Wv));
          if (sW == 1) {
            v128.store(d, v128.and(v128.load(sp), m0));
            v128.store(d, v128.and(v128.load(sp, 16), m1), 16);
          } else {
            v128.store(d, v128.and(v128.shuffle<f32>(v128.load(sp), v128.load(sp, 16), 0, 2, 4, 6), m0));
            v128.store(d, v128.and(v128.shuffle<f32>(v128.load(sp, 32), v128.load(sp, 48), 0, 2, 4, 6), m1), 16);
          }
        }
        ow += 8;
        if (ow == OW) {
          ow = 0;
          if (++oh == OH) {
            oh = 0;
            n++;
          }
        }
      }
      continue;
    }
    let j = 0;
    while (j < nc) {
      const len = imin(OW - ow, nc - j);
      const ih = oh * sH + offH;
      if (<u32>ih >= <u32>H) {
        runPieces(row, PS, j, j + len, 0, sW);
      } else {
        const a = imin(imax(owLo, ow), ow + len);
        const b = imax(imin(owHi, ow + len), a);
        if (a > ow) runPieces(row, PS, j, j + a - ow, 0, sW);
        if (b > a) {
          const src = planeOff + (<usize>(n * imgStride + ih * W + a * sW + offW) << 2);
          runPieces(row, PS, j + a - ow, j + b - ow, src, sW);
        }
        if (ow + len > b) runPieces(row, PS, j + b - ow, j + len, 0, sW);
      }
      j += len;
      ow = 0;
      if (++oh == OH) {
        oh = 0;
        n++;
      }
    }
    // The last panel's columns past nc: zero, so no stray denormal slows the micro-kernel.
    const last = dst + (<usize>(((nc - 1) >> 3) * PS + p * NR) << 2);
    for (let jj = nc & 7; jj != 0 && jj < NR; jj++) store<f32>(last + (<usize>jj << 2), 0);
  }
}

/**
 * Forward im2col for any stride and dilation, packed like packIm2colRows, by gathering each cell
 * through per-column tables built by im2colColumnTables: base offset (image, row and column of
 * the window's corner) and, when the plan pads, the corner's row and column for bounds tests.
 * Used where output rows are too short for packIm2colRows' runs, or strides above 2.
 */
export function packIm2colGather(
  dst: usize, x: usize, tables: usize, H: i32, W: i32, KH: i32, KW: i32, dH: i32, dW: i32, padded: bool, k0: i32, kc: i32, nc: i32,
): void {
  const PS = im2colPanelStride(kc);
  const khw = KH * KW;
  const base = tables;
  const hT = tables + (<usize>nc << 2);
  const wT = hT + (<usize>nc << 2);
  const panels = (nc + NR - 1) / NR;
  for (let p = 0; p < kc; p++) {
    const kidx = k0 + p;
    const ci = kidx / khw;
    const r = kidx - ci * khw;
    const kh = r / KW;
    const kw = r - kh * KW;
    const offH = kh * dH, offW = kw * dW;
    const koff = ci * H * W + offH * W + offW;
    const src = x + (<usize>koff << 2);
    for (let jp = 0; jp < panels; jp++) {
      const d = dst + (<usize>(jp * PS + p * NR) << 2);
      const j0 = jp * NR;
      const j1 = imin(nc, j0 + NR);
      if (!padded) {
        for (let j = j0; j < j1; j++) {
          store<f32>(d + (<usize>(j - j0) << 2), load<f32>(src + (<usize>load<i32>(base + (<usize>j << 2)) << 2)));
        }
      } else {
        for (let j = j0; j < j1; j++) {
          const ih = load<i32>(hT + (<usize>j << 2)) + offH;
          const iw = load<i32>(wT + (<usize>j << 2)) + offW;
          const v = <u32>ih < <u32>H && <u32>iw < <u32>W ? load<f32>(src + (<usize>load<i32>(base + (<usize>j << 2)) << 2)) : 0;
          store<f32>(d + (<usize>(j - j0) << 2), v);
        }
      }
      for (let j = j1; j < j0 + NR; j++) store<f32>(d + (<usize>(j - j0) << 2), 0);
    }
  }
}

/**
 * Tables for packIm2colGather over columns [F0, F0 + nc): base[j] = image offset + corner row * W +
 * corner column (the corner may lie in the padding; cells are only read once in bounds), then the
 * corner rows, then the corner columns. 3 * nc i32.
 */
export function im2colColumnTables(
  tables: usize, imgStride: i32, W: i32, OH: i32, OW: i32, sH: i32, sW: i32, pT: i32, pL: i32, F0: i32, nc: i32,
): void {
  const OHW = OH * OW;
  const hT = tables + (<usize>nc << 2);
  const wT = hT + (<usize>nc << 2);
  let n = F0 / OHW;
  const r0 = F0 - n * OHW;
  let oh = r0 / OW;
  let ow = r0 - oh * OW;
  for (let j = 0; j < nc; j++) {
    const ih = oh * sH - pT, iw = ow * sW - pL;
    store<i32>(tables + (<usize>j << 2), n * imgStride + ih * W + iw);
    store<i32>(hT + (<usize>j << 2), ih);
    store<i32>(wT + (<usize>j << 2), iw);
    if (++ow == OW) {
      ow = 0;
      if (++oh == OH) {
        oh = 0;
        n++;
      }
    }
  }
}

// @ts-ignore: decorator
@inline function cellOrZero(plane: usize, ih: i32, iw: i32, H: i32, W: i32): f32 {
  return <u32>ih < <u32>H && <u32>iw < <u32>W ? load<f32>(plane + (<usize>(ih * W + iw) << 2)) : 0;
}

/**
 * B[p][j] = im2col[j0 + j][s0 + p]: the transposed column matrix for the filter gradient. Columns
 * are handled four at a time; with stride 1, four output positions of one row are four contiguous
 * cells per column, so a 4x4 block is four loads, a shuffle transpose and four stores.
 */
export function packIm2colT(dst: usize, xg: usize, H: i32, W: i32, OW: i32, KH: i32, KW: i32, sH: i32, sW: i32, dH: i32, dW: i32, pT: i32, pL: i32, s0: i32, kc: i32, j0: i32, nc: i32): void {
  const panels = (nc + NR - 1) / NR;
  const khw = KH * KW;
  const HW = H * W;
  for (let jp = 0; jp < panels; jp++) {
    const base = dst + (<usize>(jp * kc * NR) << 2);
    for (let half = 0; half < NR; half += 4) {
      const j = jp * NR + half;
      // Per-column geometry; columns past nc read as zero (planes pointing nowhere, rows out of range).
      let pl0: usize = 0, pl1: usize = 0, pl2: usize = 0, pl3: usize = 0;
      let hO0 = -H, hO1 = -H, hO2 = -H, hO3 = -H;
      let wO0 = 0, wO1 = 0, wO2 = 0, wO3 = 0;
      let allValid = true;
      for (let q = 0; q < 4; q++) {
        const col = j + q;
        if (col >= nc) { allValid = false; continue; }
        const kidx = j0 + col;
        const ci = kidx / khw;
        const r = kidx - ci * khw;
        const kh = r / KW;
        const kw = r - kh * KW;
        const pl = xg + (<usize>(ci * HW) << 2);
        const ho = kh * dH - pT, wo = kw * dW - pL;
        if (q == 0) { pl0 = pl; hO0 = ho; wO0 = wo; }
        else if (q == 1) { pl1 = pl; hO1 = ho; wO1 = wo; }
        else if (q == 2) { pl2 = pl; hO2 = ho; wO2 = wo; }
        else { pl3 = pl; hO3 = ho; wO3 = wo; }
      }
      let oh = s0 / OW;
      let ow = s0 - oh * OW;
      let p = 0;
      while (p < kc) {
        const ihb = oh * sH, iwb = ow * sW;
        const i0 = ihb + hO0, i1 = ihb + hO1, i2 = ihb + hO2, i3 = ihb + hO3;
        const w0 = iwb + wO0, w1 = iwb + wO1, w2 = iwb + wO2, w3 = iwb + wO3;
        const d = base + (<usize>(p * NR + half) << 2);
        if (
          allValid && sW == 1 && p + 4 <= kc && ow + 4 <= OW &&
          <u32>i0 < <u32>H && <u32>i1 < <u32>H && <u32>i2 < <u32>H && <u32>i3 < <u32>H &&
          w0 >= 0 && w1 >= 0 && w2 >= 0 && w3 >= 0 && w0 + 4 <= W && w1 + 4 <= W && w2 + 4 <= W && w3 + 4 <= W
        ) {
          const v0 = v128.load(pl0 + (<usize>(i0 * W + w0) << 2));
          const v1 = v128.load(pl1 + (<usize>(i1 * W + w1) << 2));
          const v2 = v128.load(pl2 + (<usize>(i2 * W + w2) << 2));
          const v3 = v128.load(pl3 + (<usize>(i3 * W + w3) << 2));
          const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), NR * 4);
          v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), NR * 8);
          v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), NR * 12);
          p += 4;
          ow += 4;
        } else {
          store<f32>(d, cellOrZero(pl0, i0, w0, H, W));
          store<f32>(d, cellOrZero(pl1, i1, w1, H, W), 4);
          store<f32>(d, cellOrZero(pl2, i2, w2, H, W), 8);
          store<f32>(d, cellOrZero(pl3, i3, w3, H, W), 12);
          p++;
          ow++;
        }
        if (ow == OW) {
          ow = 0;
          oh++;
        }
      }
    }
  }
}

/** dx[ci][ih][iw] += dcol[kidx][j] for the nc output positions starting at s0 (the adjoint of packIm2col). */
export function col2imAdd(dcol: usize, dxg: usize, H: i32, W: i32, OW: i32, KH: i32, KW: i32, sH: i32, sW: i32, dH: i32, dW: i32, pT: i32, pL: i32, K: i32, s0: i32, nc: i32): void {
  const khw = KH * KW;
  for (let kidx = 0; kidx < K; kidx++) {
    const ci = kidx / khw;
    const r = kidx - ci * khw;
    const kh = r / KW;
    const kw = r - kh * KW;
    const plane = dxg + (<usize>(ci * H * W) << 2);
    const src = dcol + (<usize>(kidx * nc) << 2);
    let oh = s0 / OW;
    let ow = s0 - oh * OW;
    let j = 0;
    const offW = kw * dW - pL;
    while (j < nc) {
      const seg = imin(OW - ow, nc - j);
      const ih = oh * sH - pT + kh * dH;
      if (<u32>ih < <u32>H) {
        const row = plane + (<usize>(ih * W) << 2);
        let iw = ow * sW + offW;
        let t = 0;
        while (t < seg) {
          if (sW == 1 && t + 4 <= seg && iw >= 0 && iw + 4 <= W) {
            const d = row + (<usize>iw << 2);
            v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>(j + t) << 2))));
            t += 4;
            iw += 4;
          } else {
            if (<u32>iw < <u32>W) {
              const d = row + (<usize>iw << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>(j + t) << 2)));
            }
            t++;
            iw += sW;
          }
        }
      }
      j += seg;
      ow = 0;
      oh++;
    }
  }
}
