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

/** B[p][j] = im2col[j0 + j][s0 + p]: the transposed column matrix for the filter gradient. */
export function packIm2colT(dst: usize, xg: usize, H: i32, W: i32, OW: i32, KH: i32, KW: i32, sH: i32, sW: i32, dH: i32, dW: i32, pT: i32, pL: i32, s0: i32, kc: i32, j0: i32, nc: i32): void {
  const panels = (nc + NR - 1) / NR;
  const khw = KH * KW;
  for (let jp = 0; jp < panels; jp++) {
    const base = dst + (<usize>(jp * kc * NR) << 2);
    for (let jj = 0; jj < NR; jj++) {
      const j = jp * NR + jj;
      if (j >= nc) {
        for (let p = 0; p < kc; p++) store<f32>(base + (<usize>(p * NR + jj) << 2), 0);
        continue;
      }
      const kidx = j0 + j;
      const ci = kidx / khw;
      const r = kidx - ci * khw;
      const kh = r / KW;
      const kw = r - kh * KW;
      const plane = xg + (<usize>(ci * H * W) << 2);
      let oh = s0 / OW;
      let ow = s0 - oh * OW;
      let ih = oh * sH - pT + kh * dH;
      let iw = ow * sW - pL + kw * dW;
      const iw0 = -pL + kw * dW;
      for (let p = 0; p < kc; p++) {
        const v: f32 = <u32>ih < <u32>H && <u32>iw < <u32>W ? load<f32>(plane + (<usize>(ih * W + iw) << 2)) : 0;
        store<f32>(base + (<usize>(p * NR + jj) << 2), v);
        ow++;
        iw += sW;
        if (ow == OW) {
          ow = 0;
          iw = iw0;
          ih += sH;
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
