// Spreads dy / divisor over each window's in-input cells; one plane per unit. Frame: 0 dy, 1 dx.
import { argP, planI, imax, imin, zeroF32 } from '../common';

export function avgPool2dGrad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pB = planI(frame, 11), pL = planI(frame, 12), pR = planI(frame, 13);
  const cip = planI(frame, 14);
  const dy = argP(frame, 0), dx = argP(frame, 1);
  for (let u = u0; u < u1; u++) {
    const dxp = dx + (<usize>(u * H * W) << 2);
    const dyp = dy + (<usize>(u * OH * OW) << 2);
    zeroF32(dxp, H * W);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sH - pT;
      const he = imin(hs + KH, H + pB);
      const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * sW - pL;
        const we = imin(ws + KW, W + pR);
        const w0 = imax(ws, 0), w1 = imin(ws + KW, W);
        const div = cip ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
        const g = load<f32>(dyp + (<usize>(oh * OW + ow) << 2)) / <f32>div;
        for (let ih = h0; ih < h1; ih++) {
          const row = dxp + (<usize>(ih * W) << 2);
          let iw = w0;
          const gv = f32x4.splat(g);
          for (; iw + 4 <= w1; iw += 4) {
            const p = row + (<usize>iw << 2);
            v128.store(p, f32x4.add(v128.load(p), gv));
          }
          for (; iw < w1; iw++) {
            const p = row + (<usize>iw << 2);
            store<f32>(p, load<f32>(p) + g);
          }
        }
      }
    }
  }
}
