// dx = dy * op'(x), using y = op(x) where the derivative is cheaper from it (see UnaryOp in core).
// Frame: 0 dy, 1 x, 2 y, 3 dx, 4 op, 5 alpha (f32), 6 size.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';
import { RELU, LEAKY, ELU, SIGMOID, TANH, EXP, LOG, SQRT, NEG, SQUARE } from './unary';

export function unaryGrad(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const dy = argP(frame, 0), x = argP(frame, 1), y = argP(frame, 2), dx = argP(frame, 3);
  const op = argI(frame, 4), alpha = argF(frame, 5), size = argI(frame, 6);
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, size);
  let i = i0;
  if (op == RELU) {
    const z = f32x4.splat(0);
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), z)));
    }
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o), xv = load<f32>(x + o), yv = load<f32>(y + o);
    let d: f32;
    switch (op) {
      case RELU: d = xv > 0 ? g : 0; break;
      case LEAKY: d = xv > 0 ? g : g * alpha; break;
      case ELU: d = xv > 0 ? g : g * (yv + alpha); break;
      case SIGMOID: d = g * yv * (1 - yv); break;
      case TANH: d = g * (1 - yv * yv); break;
      case EXP: d = g * yv; break;
      case LOG: d = g / xv; break;
      case SQRT: d = g * 0.5 / yv; break;
      case NEG: d = -g; break;
      case SQUARE: d = g * 2 * xv; break;
      default: d = g;
    }
    store<f32>(dx + o, d);
  }
}
