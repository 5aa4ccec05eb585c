// Max pooling that also writes each window's selected tap kh * KW + kw (unclipped window; -1 for a window
// without an input cell): the last NaN, else the first maximum, scanned as MaxPool2DGrad scans.
// One channel plane per unit. Frame: 0 x, 1 y, 2 argmax.
import { argP, planI, imax, imin } from '../common';

export function maxPool2dArgmax(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pL = planI(frame, 12);
  const x = argP(frame, 0), y = argP(frame, 1), am = argP(frame, 2);
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const yp = y + (<usize>(u * OH * OW) << 2);
    const ap = am + (<usize>(u * OH * OW) << 2);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sH - pT;
      const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * sW - pL;
        const w0 = imax(ws, 0), w1 = imin(ws + KW, W);
        let best: f32 = -Infinity;
        let bt = -1;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const v = load<f32>(xp + (<usize>(ih * W + iw) << 2));
            // v > NaN is false, so once best is NaN only a later NaN moves bt.
            if (bt < 0 || v > best || v != v) {
              best = v;
              bt = (ih - hs) * KW + iw - ws;
            }
          }
        }
        const o = <usize>(oh * OW + ow) << 2;
        store<f32>(yp + o, best);
        store<f32>(ap + o, <f32>bt);
      }
    }
  }
}
