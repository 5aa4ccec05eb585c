// Average pooling, one channel plane per work unit, separable (see pool-rows.ts): window sums, then
// division by PyTorch's divisor (see Pool2dPlan), the product of a row count and a per-column count
// kept in scratch. Frame: 0 x, 1 y. Plan: POOL2D_ENCODING.
import { argP, planI, imax, imin } from '../common';
import { padV, poolPlane } from '../pool-rows';

export function avgPool2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pB = planI(frame, 11), pL = planI(frame, 12), pR = planI(frame, 13);
  const cip = planI(frame, 14) != 0;
  const x = argP(frame, 0), y = argP(frame, 1);
  // Scratch: per-column counts (OW floats, rounded up to whole v128s), then the padded row buffer.
  const cnt = scratch;
  const v = scratch + (<usize>(((OW + 3) & ~3) + pL) << 2);
  for (let ow = 0; ow < OW; ow++) {
    const ws = ow * sW - pL;
    const n = cip ? imin(ws + KW, W + pR) - ws : imin(ws + KW, W) - imax(ws, 0);
    store<f32>(cnt + (<usize>ow << 2), <f32>n);
  }
  padV<f64>(v, W, OW, KW, sW, pL);
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const yp = y + (<usize>(u * OH * OW) << 2);
    poolPlane<f64>(xp, yp, H, W, OH, OW, KH, KW, sH, sW, pT, pB, pL, cip, v, cnt);
  }
}
