// In-place SGD with momentum (PyTorch semantics, see SgdAttrs). Frame: 0 param, 1 grad, 2 velocity,
// 3 lr, 4 momentum, 5 nesterov, 6 weightDecay (f32), 7 size.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';

export function sgdUpdate(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const p = argP(frame, 0), g = argP(frame, 1), v = argP(frame, 2);
  const lr = argF(frame, 3), mom = argF(frame, 4), nesterov = argI(frame, 5), wd = argF(frame, 6), size = argI(frame, 7);
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, size);
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
