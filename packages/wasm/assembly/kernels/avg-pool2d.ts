// Average pooling, one plane per unit, four outputs per v128 where the windows lie inside the row.
// Divisors follow PyTorch (see Pool2dPlan). Frame: 0 x, 1 y.
import { argP, planI, imax, imin } from '../common';

export function avgPool2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pB = planI(frame, 11), pL = planI(frame, 12), pR = planI(frame, 13);
  const cip = planI(frame, 14);
  const x = argP(frame, 0), y = argP(frame, 1);
  const simd = sW == 1 || sW == 2;
  const reach = (sW == 1 ? 3 : 7) + KW - 1;
  const owA = (pL + sW - 1) / sW;
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const yp = y + (<usize>(u * OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sH - pT;
      const he = imin(hs + KH, H + pB);
      const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
      const rows = cip ? he - hs : h1 - h0;
      const yr = yp + (<usize>(oh * OW) << 2);
      let ow = 0;
      while (ow < OW) {
        const ws = ow * sW - pL;
        if (simd && ow >= owA && ow + 3 < OW && ws + reach < W) {
          let s = f32x4.splat(0);
          for (let ih = h0; ih < h1; ih++) {
            const row = xp + (<usize>(ih * W + ws) << 2);
            if (sW == 1) {
              for (let kw = 0; kw < KW; kw++) s = f32x4.add(s, v128.load(row + (<usize>kw << 2)));
            } else {
              for (let kw = 0; kw < KW; kw++) {
                const p = row + (<usize>kw << 2);
                s = f32x4.add(s, v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6));
              }
            }
          }
          v128.store(yr + (<usize>ow << 2), f32x4.div(s, f32x4.splat(<f32>(rows * KW))));
          ow += 4;
        } else {
          const we = imin(ws + KW, W + pR);
          const w0 = imax(ws, 0), w1 = imin(ws + KW, W);
          let s: f32 = 0;
          for (let ih = h0; ih < h1; ih++) {
            const row = xp + (<usize>(ih * W) << 2);
            for (let iw = w0; iw < w1; iw++) s += load<f32>(row + (<usize>iw << 2));
          }
          const div = cip ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
          store<f32>(yr + (<usize>ow << 2), s / <f32>div);
          ow++;
        }
      }
    }
  }
}
