// y = x + bias[c] over [outer, channels, inner]; one unit per (outer, channel) row. Frame: 0 x, 1 bias, 2 y.
import { argP, planI } from '../common';

export function biasAdd(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const C = planI(frame, 1), inner = planI(frame, 2);
  const x = argP(frame, 0), bias = argP(frame, 1), y = argP(frame, 2);
  for (let r = u0; r < u1; r++) {
    const b = load<f32>(bias + (<usize>(r % C) << 2));
    const bv = f32x4.splat(b);
    const xs = x + (<usize>(r * inner) << 2), ys = y + (<usize>(r * inner) << 2);
    let i = 0;
    for (; i + 4 <= inner; i += 4) v128.store(ys + (<usize>i << 2), f32x4.add(v128.load(xs + (<usize>i << 2)), bv));
    for (; i < inner; i++) store<f32>(ys + (<usize>i << 2), load<f32>(xs + (<usize>i << 2)) + b);
  }
}
