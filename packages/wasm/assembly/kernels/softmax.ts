// Row softmax / log-softmax, max-subtracted, with the exponent sums in f64 for stability on long
// rows. One unit per row. Frame: 0 x, 1 y, 2 log.
import { argI, argP, planI } from '../common';

export function softmax(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const cols = planI(frame, 1);
  const x = argP(frame, 0), y = argP(frame, 1), log = argI(frame, 2);
  for (let r = u0; r < u1; r++) {
    const xs = x + (<usize>(r * cols) << 2), ys = y + (<usize>(r * cols) << 2);
    let m: f32 = -Infinity;
    for (let j = 0; j < cols; j++) m = max<f32>(m, load<f32>(xs + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Mathf.exp(load<f32>(xs + (<usize>j << 2)) - m);
      s += <f64>e;
      if (!log) store<f32>(ys + (<usize>j << 2), e);
    }
    if (log) {
      const ls = <f32>Math.log(s);
      for (let j = 0; j < cols; j++) store<f32>(ys + (<usize>j << 2), load<f32>(xs + (<usize>j << 2)) - m - ls);
    } else {
      const inv = <f32>(1 / s);
      for (let j = 0; j < cols; j++) store<f32>(ys + (<usize>j << 2), load<f32>(ys + (<usize>j << 2)) * inv);
    }
  }
}
