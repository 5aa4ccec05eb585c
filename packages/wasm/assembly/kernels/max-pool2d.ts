// Max pooling, one channel plane per work unit, separable (see pool-rows.ts). The plan wants NaN to
// win, which f32x4.max does but costs about eight instructions on x64; f32x4.pmax is one (maxps)
// but drops NaN. So each plane runs with pmax while testing every cell it reads for NaN, and only a
// plane that held one is redone on the exact path. Frame: 0 x, 1 y. Plan: POOL2D_ENCODING.
import { argP, planI } from '../common';
import { padV, poolPlane } from '../pool-rows';

export function maxPool2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pB = planI(frame, 11), pL = planI(frame, 12);
  const x = argP(frame, 0), y = argP(frame, 1);
  // Scratch: the padded row buffer (see vFloats), column 0 at pL floats in.
  const v = scratch + (<usize>pL << 2);
  padV<f32>(v, W, OW, KW, sW, pL);
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const yp = y + (<usize>(u * OH * OW) << 2);
    if (poolPlane<i32>(xp, yp, H, W, OH, OW, KH, KW, sH, sW, pT, pB, pL, false, v, 0)) {
      poolPlane<f32>(xp, yp, H, W, OH, OW, KH, KW, sH, sW, pT, pB, pL, false, v, 0);
    }
  }
}
