// [outer, reduce, inner] -> [outer, inner]: rows of the reduced axis are combined four lanes at a
// time along inner. One unit per outer index. Frame: 0 x, 1 y, 2 op (REDUCE_OP_* codes).
import { argI, argP, planI } from '../common';
import { REDUCE_OP_MAX, REDUCE_OP_MEAN } from '../generated/spec';

export function reduce(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const R = planI(frame, 1), inner = planI(frame, 2);
  const x = argP(frame, 0), y = argP(frame, 1), op = argI(frame, 2);
  const isMax = op == REDUCE_OP_MAX;
  for (let o = u0; o < u1; o++) {
    const src = x + (<usize>(o * R * inner) << 2);
    const dst = y + (<usize>(o * inner) << 2);
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let acc = v128.load(src + (<usize>i << 2));
      for (let r = 1; r < R; r++) {
        const v = v128.load(src + (<usize>(r * inner + i) << 2));
        acc = isMax ? f32x4.max(acc, v) : f32x4.add(acc, v);
      }
      if (op == REDUCE_OP_MEAN) acc = f32x4.div(acc, f32x4.splat(<f32>R));
      v128.store(dst + (<usize>i << 2), acc);
    }
    for (; i < inner; i++) {
      let acc = load<f32>(src + (<usize>i << 2));
      for (let r = 1; r < R; r++) {
        const v = load<f32>(src + (<usize>(r * inner + i) << 2));
        acc = isMax ? max<f32>(acc, v) : acc + v;
      }
      store<f32>(dst + (<usize>i << 2), op == REDUCE_OP_MEAN ? acc / <f32>R : acc);
    }
  }
}
