// In-place SGD with momentum (PyTorch semantics, see SgdAttrs). Frame: 0 param, 1 grad, 2 velocity,
// 3 lr, 4 momentum, 5 nesterov, 6 weightDecay (f32), 7 size. SgdUpdateMany shares slots 3 to 6 and
// sgdRange, so both kernels round identically.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';

export function sgdUpdate(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  sgdRange(frame, argP(frame, 0), argP(frame, 1), argP(frame, 2), chunkBegin(u0), chunkEnd(u1, argI(frame, 7)));
}

/** Updates p and v over [i0, i1) with the settings in frame slots 3 to 6. */
export function sgdRange(frame: usize, p: usize, g: usize, v: usize, i0: i32, i1: i32): void {
  const lr = argF(frame, 3), mom = argF(frame, 4), nesterov = argI(frame, 5), wd = argF(frame, 6);
  const lrv = f32x4.splat(lr), mv = f32x4.splat(mom), wv = f32x4.splat(wd);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const d = f32x4.add(v128.load(g + o), f32x4.mul(wv, pv));
    const vel = f32x4.add(f32x4.mul(mv, v128.load(v + o)), d);
    v128.store(v + o, vel);
    const step = nesterov ? f32x4.add(d, f32x4.mul(mv, vel)) : vel;
    v128.store(p + o, f32x4.sub(pv, f32x4.mul(lrv, step)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = load<f32>(g + o) + wd * pv;
    const vel = mom * load<f32>(v + o) + d;
    store<f32>(v + o, vel);
    const step = nesterov ? d + mom * vel : vel;
    store<f32>(p + o, pv - lr * step);
  }
}
