// dx from each window's selected tap (MaxPool2DArgmax): dy added to the cell the tap names, windows in
// output order as MaxPool2DGrad adds them. A code naming no input cell adds nothing (never a stray write).
// One channel plane per unit, so the scatter-adds never race. Frame: 0 dy, 1 argmax, 2 dx.
import { argP, planI, zeroF32 } from '../common';

export function maxPool2dGradArgmax(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pL = planI(frame, 12);
  const dy = argP(frame, 0), am = argP(frame, 1), dx = argP(frame, 2);
  const taps = <f32>(KH * KW);
  for (let u = u0; u < u1; u++) {
    const dxp = dx + (<usize>(u * H * W) << 2);
    const dyp = dy + (<usize>(u * OH * OW) << 2);
    const ap = am + (<usize>(u * OH * OW) << 2);
    zeroF32(dxp, H * W);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sH - pT;
      for (let ow = 0; ow < OW; ow++) {
        const o = <usize>(oh * OW + ow) << 2;
        const tf = load<f32>(ap + o);
        if (!(tf >= 0 && tf < taps) || tf != Mathf.floor(tf)) continue;
        const t = <i32>tf;
        const kh = t / KW;
        const ih = hs + kh, iw = ow * sW - pL + t - kh * KW;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        const d = dxp + (<usize>(ih * W + iw) << 2);
        store<f32>(d, load<f32>(d) + load<f32>(dyp + o));
      }
    }
  }
}
