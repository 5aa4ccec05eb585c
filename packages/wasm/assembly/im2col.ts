// im2col packing straight into the GEMM's panel layouts, so the column matrix is never materialised
// in full: only one KC x NC block per thread at a time.
import { NR } from './gemm';
import { imin } from './common';


/** B[p][j] = column j (output position s0 + j) of im2col row k0 + p; panels of NR columns. */
export function packIm2col(dst: usize, xg: usize, H: i32, W: i32, OW: i32, KH: i32, KW: i32, sH: i32, sW: i32, dH: i32, dW: i32, pT: i32, pL: i32, k0: i32, kc: i32, s0: i32, nc: i32): void {
  const panels = (nc + NR - 1) / NR;
  const panelStride = kc * NR;
  const khw = KH * KW;
  for (let p = 0; p < kc; p++) {
    const kidx = k0 + p;
    const ci = kidx / khw;
    const r = kidx - ci * khw;
    const kh = r / KW;
    const kw = r - kh * KW;
    const plane = xg + (<usize>(ci * H * W) << 2);
    let oh = s0 / OW;
    let ow = s0 - oh * OW;
    let j = 0;
    const offW = kw * dW - pL;
    while (j < nc) {
      const seg = imin(OW - ow, nc - j);
      const ih = oh * sH - pT + kh * dH;
      if (<u32>ih >= <u32>H) {
        for (let t = 0; t < seg; t++) {
          const jj = j + t;
          store<f32>(dst + (<usize>((jj >> 3) * panelStride + p * NR + (jj & 7)) << 2), 0);
        }
      } else {
        const row = plane + (<usize>(ih * W) << 2);
        let iw = ow * sW + offW;
        let t = 0;
        while (t < seg) {
          const jj = j + t;
          const d = dst + (<usize>((jj >> 3) * panelStride + p * NR + (jj & 7)) << 2);
          // Stride 1: a whole panel row of 8 consecutive input cells is two v128 copies.
          if (sW == 1 && (jj & 7) == 0 && t + 8 <= seg && iw >= 0 && iw + 8 <= W) {
            const s = row + (<usize>iw << 2);
            v128.store(d, v128.load(s));
            v128.store(d, v128.load(s, 16), 16);
            t += 8;
            iw += 8;
          } else {
            store<f32>(d, <u32>iw < <u32>W ? load<f32>(row + (<usize>iw << 2)) : 0);
            t++;
            iw += sW;
          }
        }
      }
      j += seg;
      ow = 0;
      oh++;
    }
    for (let jj = nc; jj < panels * NR; jj++) {
      store<f32>(dst + (<usize>((jj >> 3) * panelStride + p * NR + (jj & 7)) << 2), 0);
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
