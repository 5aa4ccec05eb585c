// loss[row] = -sum(labels * logSoftmax(logits)), via logSumExp so no softmax is materialised.
// One unit per row. Frame: 0 logits, 1 labels, 2 loss.
import { argP, planI } from '../common';

export function softmaxCrossEntropy(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const cols = planI(frame, 1);
  const x = argP(frame, 0), l = argP(frame, 1), out = argP(frame, 2);
  for (let r = u0; r < u1; r++) {
    const xs = x + (<usize>(r * cols) << 2), ls = l + (<usize>(r * cols) << 2);
    let m: f32 = -Infinity;
    for (let j = 0; j < cols; j++) m = max<f32>(m, load<f32>(xs + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) s += <f64>Mathf.exp(load<f32>(xs + (<usize>j << 2)) - m);
    const lse = <f64>m + Math.log(s);
    let loss: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const lab = <f64>load<f32>(ls + (<usize>j << 2));
      if (lab != 0) loss -= lab * (<f64>load<f32>(xs + (<usize>j << 2)) - lse);
    }
    store<f32>(out + (<usize>r << 2), <f32>loss);
  }
}
