// Constant padding; one unit per output row (all axes but the last): either all `value`, or
// value, a copied input row, value. Frame: 0 x, 1 y, 2 value (f32). Plan: [rank, inShape x6, before x6, after x6].
import { argF, argP, planI } from '../common';

export function pad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const rank = planI(frame, 0);
  const x = argP(frame, 0), y = argP(frame, 1), value = argF(frame, 2);
  const last = rank - 1;
  const inLast = planI(frame, 1 + last), bLast = planI(frame, 7 + last), aLast = planI(frame, 13 + last);
  const outLast = bLast + inLast + aLast;
  for (let r = u0; r < u1; r++) {
    let rem = r, off = 0, stride = inLast;
    let inside = true;
    for (let d = last - 1; d >= 0; d--) {
      const n = planI(frame, 1 + d), b = planI(frame, 7 + d);
      const outN = b + n + planI(frame, 13 + d);
      const q = rem % outN;
      rem /= outN;
      const i = q - b;
      if (i < 0 || i >= n) inside = false;
      off += i * stride;
      stride *= n;
    }
    const dst = y + (<usize>(r * outLast) << 2);
    if (!inside) {
      for (let j = 0; j < outLast; j++) store<f32>(dst + (<usize>j << 2), value);
      continue;
    }
    for (let j = 0; j < bLast; j++) store<f32>(dst + (<usize>j << 2), value);
    memory.copy(dst + (<usize>bLast << 2), x + (<usize>off << 2), <usize>inLast << 2);
    for (let j = bLast + inLast; j < outLast; j++) store<f32>(dst + (<usize>j << 2), value);
  }
}
