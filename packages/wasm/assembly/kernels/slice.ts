// Copies one output row (innermost axis) per unit with memory.copy.
// Frame: 0 x, 1 y. Plan: [rank, inShape x6, begin x6, outShape x6].
import { argP, planI } from '../common';

export function slice(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const rank = planI(frame, 0);
  const x = argP(frame, 0), y = argP(frame, 1);
  const last = rank - 1;
  const rowLen = planI(frame, 13 + last);
  for (let r = u0; r < u1; r++) {
    // Decompose the row index over the outer output axes; accumulate the input offset.
    let rem = r;
    let off = planI(frame, 7 + last);
    let stride = planI(frame, 1 + last);
    for (let d = last - 1; d >= 0; d--) {
      const n = planI(frame, 13 + d);
      const q = rem % n;
      rem /= n;
      off += (q + planI(frame, 7 + d)) * stride;
      stride *= planI(frame, 1 + d);
    }
    memory.copy(y + (<usize>(r * rowLen) << 2), x + (<usize>off << 2), <usize>rowLen << 2);
  }
}
