// In-place Adam / AdamW (see AdamAttrs). Bias corrections 1 - beta^step are computed in f64 on the
// TypeScript side. Frame: 0 param, 1 grad, 2 m, 3 v, 4 lr, 5 beta1, 6 beta2, 7 epsilon,
// 8 weightDecay, 9 decoupled, 10 1 - beta1^step, 11 1 - beta2^step (f32 except 9), 12 size.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';

export function adamUpdate(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const p = argP(frame, 0), g = argP(frame, 1), m = argP(frame, 2), v = argP(frame, 3);
  const lr = argF(frame, 4), b1 = argF(frame, 5), b2 = argF(frame, 6), eps = argF(frame, 7), wd = argF(frame, 8);
  const decoupled = argI(frame, 9), bc1 = argF(frame, 10), bc2 = argF(frame, 11), size = argI(frame, 12);
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, size);
  for (let i = i0; i < i1; i++) {
    const o = <usize>i << 2;
    let pv = load<f32>(p + o);
    let gv = load<f32>(g + o);
    if (decoupled) pv -= lr * wd * pv;
    else gv += wd * pv;
    const mv = b1 * load<f32>(m + o) + (1 - b1) * gv;
    const vv = b2 * load<f32>(v + o) + (1 - b2) * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(p + o, pv - lr * (mv / bc1) / (Mathf.sqrt(vv / bc2) + eps));
  }
}
