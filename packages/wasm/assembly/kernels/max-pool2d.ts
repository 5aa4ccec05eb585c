// Max pooling, one channel plane per work unit, vectorised along the output row: four outputs per
// v128, with stride-2 windows de-interleaved by shuffles. f32x4.max propagates NaN as the plan asks.
// Frame: 0 x, 1 y. Plan: POOL2D_ENCODING.
import { argP, planI, imax, imin } from '../common';

export function maxPool2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pL = planI(frame, 12);
  const x = argP(frame, 0), y = argP(frame, 1);
  const simd = sW == 1 || sW == 2;
  const reach = (sW == 1 ? 3 : 7) + KW - 1;
  const owA = (pL + sW - 1) / sW;
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const yp = y + (<usize>(u * OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sH - pT;
      const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
      const yr = yp + (<usize>(oh * OW) << 2);
      let ow = 0;
      while (ow < OW) {
        const ws = ow * sW - pL;
        if (simd && ow >= owA && ow + 3 < OW && ws + reach < W) {
          let m = f32x4.splat(-Infinity);
          for (let ih = h0; ih < h1; ih++) {
            const row = xp + (<usize>(ih * W + ws) << 2);
            if (sW == 1) {
              for (let kw = 0; kw < KW; kw++) m = f32x4.max(m, v128.load(row + (<usize>kw << 2)));
            } else {
              for (let kw = 0; kw < KW; kw++) {
                const p = row + (<usize>kw << 2);
                m = f32x4.max(m, v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6));
              }
            }
          }
          v128.store(yr + (<usize>ow << 2), m);
          ow += 4;
        } else {
          const w0 = imax(ws, 0), w1 = imin(ws + KW, W);
          let m: f32 = -Infinity;
          for (let ih = h0; ih < h1; ih++) {
            const row = xp + (<usize>(ih * W) << 2);
            for (let iw = w0; iw < w1; iw++) m = max<f32>(m, load<f32>(row + (<usize>iw << 2)));
          }
          store<f32>(yr + (<usize>ow << 2), m);
          ow++;
        }
      }
    }
  }
}
