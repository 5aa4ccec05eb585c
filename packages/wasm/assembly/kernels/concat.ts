// out[o] = [xs[0][o] block, xs[1][o] block, ...]; one unit per outer index.
// Frame: 0 out, 1 pointer to an i32 array of input pointers. Plan: [outer, count, blockSizes...].
import { argP, planI } from '../common';

export function concat(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const count = planI(frame, 1);
  const out = argP(frame, 0), list = argP(frame, 1);
  let total = 0;
  for (let i = 0; i < count; i++) total += planI(frame, 2 + i);
  for (let o = u0; o < u1; o++) {
    let dst = out + (<usize>(o * total) << 2);
    for (let i = 0; i < count; i++) {
      const bs = planI(frame, 2 + i);
      const src = <usize>load<u32>(list + (<usize>i << 2)) + (<usize>(o * bs) << 2);
      memory.copy(dst, src, <usize>bs << 2);
      dst += <usize>bs << 2;
    }
  }
}
