// db[c] = sum of dy over outer and inner; one unit per channel. Frame: 0 dy, 1 db.
import { argP, planI } from '../common';

export function biasAddGrad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const outer = planI(frame, 0), C = planI(frame, 1), inner = planI(frame, 2);
  const dy = argP(frame, 0), db = argP(frame, 1);
  for (let c = u0; c < u1; c++) {
    let acc = f32x4.splat(0);
    let tail: f32 = 0;
    for (let o = 0; o < outer; o++) {
      const row = dy + (<usize>((o * C + c) * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) acc = f32x4.add(acc, v128.load(row + (<usize>i << 2)));
      for (; i < inner; i++) tail += load<f32>(row + (<usize>i << 2));
    }
    const s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + tail;
    store<f32>(db + (<usize>c << 2), s);
  }
}
