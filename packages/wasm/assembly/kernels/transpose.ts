// out axis d = in axis perm[d]; walks output rows with an input stride per output axis.
// One unit per output row (all axes but the last). Frame: 0 x, 1 y. Plan: [rank, inShape x6, perm x6].
import { argP, planI } from '../common';

export function transpose(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const rank = planI(frame, 0);
  const x = argP(frame, 0), y = argP(frame, 1);
  // Input strides for each output axis, kept in scratch: st[d] = inStride[perm[d]].
  const st = scratch;
  for (let d = 0; d < rank; d++) {
    const p = planI(frame, 7 + d);
    let s = 1;
    for (let e = p + 1; e < rank; e++) s *= planI(frame, 1 + e);
    store<i32>(st + (<usize>d << 2), s);
  }
  const last = rank - 1;
  const rowLen = planI(frame, 1 + planI(frame, 7 + last));
  const sLast = load<i32>(st + (<usize>last << 2));
  for (let r = u0; r < u1; r++) {
    let rem = r, off = 0;
    for (let d = last - 1; d >= 0; d--) {
      const n = planI(frame, 1 + planI(frame, 7 + d));
      const q = rem % n;
      rem /= n;
      off += q * load<i32>(st + (<usize>d << 2));
    }
    const dst = y + (<usize>(r * rowLen) << 2);
    if (sLast == 1) {
      memory.copy(dst, x + (<usize>off << 2), <usize>rowLen << 2);
    } else {
      for (let j = 0; j < rowLen; j++) store<f32>(dst + (<usize>j << 2), load<f32>(x + (<usize>(off + j * sLast) << 2)));
    }
  }
}
