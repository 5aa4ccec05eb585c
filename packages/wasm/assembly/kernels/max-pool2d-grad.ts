// Routes each dy to the first maximum of its window, or to its last NaN (PyTorch), recomputed from x.
// One channel plane per unit, so the scatter-adds never race. Frame: 0 dy, 1 x, 2 dx.
import { argP, planI, imax, imin, zeroF32 } from '../common';

export function maxPool2dGrad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pL = planI(frame, 12);
  const dy = argP(frame, 0), x = argP(frame, 1), dx = argP(frame, 2);
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const dxp = dx + (<usize>(u * H * W) << 2);
    const dyp = dy + (<usize>(u * OH * OW) << 2);
    zeroF32(dxp, H * W);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sH - pT;
      const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * sW - pL;
        const w0 = imax(ws, 0), w1 = imin(ws + KW, W);
        let best: f32 = 0;
        let bi = -1;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const i = ih * W + iw;
            const v = load<f32>(xp + (<usize>i << 2));
            // v > NaN is false, so once best is NaN only a later NaN moves bi.
            if (bi < 0 || v > best || v != v) {
              best = v;
              bi = i;
            }
          }
        }
        if (bi >= 0) {
          const d = dxp + (<usize>bi << 2);
          store<f32>(d, load<f32>(d) + load<f32>(dyp + (<usize>(oh * OW + ow) << 2)));
        }
      }
    }
  }
}
