// In-place Adam / AdamW (see AdamAttrs). Bias corrections 1 - beta^step are computed in f64 on the
// TypeScript side. Frame: 0 param, 1 grad, 2 m, 3 v, 4 lr, 5 beta1, 6 beta2, 7 epsilon,
// 8 weightDecay, 9 decoupled, 10 1 - beta1^step, 11 1 - beta2^step (f32 except 9), 12 size,
// 13 1 - beta1, 14 1 - beta2 (rounded from double: 1 - 0.999f in f32 is off by 1e-5 relative).
// The update itself runs in f64, one rounding per stored value. AdamUpdateMany shares slots 4 to 11,
// 13 and 14 and adamRange, so both kernels round identically.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';

export function adamUpdate(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const p = argP(frame, 0), g = argP(frame, 1), m = argP(frame, 2), v = argP(frame, 3);
  adamRange(frame, p, g, m, v, chunkBegin(u0), chunkEnd(u1, argI(frame, 12)));
}

/** Updates p, m and v over [i0, i1) with the settings in frame slots 4 to 11, 13 and 14. */
export function adamRange(frame: usize, p: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32): void {
  const lr = argF(frame, 4), b1 = argF(frame, 5), b2 = argF(frame, 6), eps = argF(frame, 7), wd = argF(frame, 8);
  const decoupled = argI(frame, 9), bc1 = <f64>argF(frame, 10), bc2 = <f64>argF(frame, 11);
  const c1 = <f64>argF(frame, 13), c2 = <f64>argF(frame, 14);
  const lr64 = <f64>lr, wd64 = <f64>wd, b164 = <f64>b1, b264 = <f64>b2, eps64 = <f64>eps;
  for (let i = i0; i < i1; i++) {
    const o = <usize>i << 2;
    let pv = <f64>load<f32>(p + o);
    let gv = <f64>load<f32>(g + o);
    if (decoupled) pv -= lr64 * wd64 * pv;
    else gv += wd64 * pv;
    const mv = b164 * <f64>load<f32>(m + o) + c1 * gv;
    const vv = b264 * <f64>load<f32>(v + o) + c2 * gv * gv;
    store<f32>(m + o, <f32>mv);
    store<f32>(v + o, <f32>vv);
    store<f32>(p + o, <f32>(pv - lr64 * (mv / bc1) / (Math.sqrt(vv / bc2) + eps64)));
  }
}
