// dlogits = dloss[row] * (softmax(logits) * sum(labels) - labels): the exact gradient of the loss
// above, which equals dloss * (softmax - labels) for labels that sum to one.
// One unit per row. Frame: 0 dloss, 1 logits, 2 labels, 3 dlogits.
import { argP, planI } from '../common';

export function softmaxCrossEntropyGrad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const cols = planI(frame, 1);
  const dl = argP(frame, 0), x = argP(frame, 1), l = argP(frame, 2), dx = argP(frame, 3);
  for (let r = u0; r < u1; r++) {
    const xs = x + (<usize>(r * cols) << 2), ls = l + (<usize>(r * cols) << 2), ds = dx + (<usize>(r * cols) << 2);
    let m: f32 = -Infinity;
    for (let j = 0; j < cols; j++) m = max<f32>(m, load<f32>(xs + (<usize>j << 2)));
    let s: f64 = 0, ltot: f64 = 0;
    for (let j = 0; j < cols; j++) {
      s += <f64>Mathf.exp(load<f32>(xs + (<usize>j << 2)) - m);
      ltot += <f64>load<f32>(ls + (<usize>j << 2));
    }
    const g = <f64>load<f32>(dl + (<usize>r << 2));
    const k = ltot / s;
    for (let j = 0; j < cols; j++) {
      const p = <f64>Mathf.exp(load<f32>(xs + (<usize>j << 2)) - m) * k;
      store<f32>(ds + (<usize>j << 2), <f32>(g * (p - <f64>load<f32>(ls + (<usize>j << 2)))));
    }
  }
}
