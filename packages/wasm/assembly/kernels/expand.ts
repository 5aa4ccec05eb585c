// x repeated along broadcast axes; one unit per output row (every axis but the last): a row either
// copies a contiguous run of x (last stride 1) or repeats one value (last stride 0).
// Frame: 0 x, 1 y. Plan: EXPAND_ENCODING [rank, size, outShape x6, inStrides x6].
import { argP, planI } from '../common';
import { EXPAND_RANK, EXPAND_OUT_SHAPE as SHAPE, EXPAND_IN_STRIDES as STRIDES } from '../generated/spec';

export function expand(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const x = argP(frame, 0), y = argP(frame, 1);
  const last = planI(frame, EXPAND_RANK) - 1;
  const run = planI(frame, SHAPE + last), repeat = planI(frame, STRIDES + last) == 0;
  for (let r = u0; r < u1; r++) {
    let rem = r, src = 0;
    for (let d = last - 1; d >= 0; d--) {
      const n = planI(frame, SHAPE + d);
      src += (rem % n) * planI(frame, STRIDES + d);
      rem /= n;
    }
    const dst = y + (<usize>(r * run) << 2);
    if (!repeat) {
      memory.copy(dst, x + (<usize>src << 2), <usize>run << 2);
      continue;
    }
    const v = load<f32>(x + (<usize>src << 2));
    const vv = f32x4.splat(v);
    let j = 0;
    for (; j + 4 <= run; j += 4) v128.store(dst + (<usize>j << 2), vv);
    for (; j < run; j++) store<f32>(dst + (<usize>j << 2), v);
  }
}
