// y = noise >= rate ? x / (1 - rate) : 0, four lanes at a time. Frame: 0 x, 1 noise, 2 y, 3 rate (f32), 4 size.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';

export function dropout(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const x = argP(frame, 0), noise = argP(frame, 1), y = argP(frame, 2), rate = argF(frame, 3), size = argI(frame, 4);
  const keep: f32 = 1 - rate;
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, size);
  const rv = f32x4.splat(rate), kv = f32x4.splat(keep);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, v128.and(f32x4.div(v128.load(x + o), kv), f32x4.ge(v128.load(noise + o), rv)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(noise + o) >= rate ? load<f32>(x + o) / keep : 0);
  }
}
