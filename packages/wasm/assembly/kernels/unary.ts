// Element-wise unary ops over flat chunks; relu, leakyRelu, neg, square, identity and sqrt in v128.
// Frame: 0 x, 1 y, 2 op (UNARY_OP_* codes, generated from core's ENUMS), 3 alpha (f32), 4 size.
import { argF, argI, argP, chunkBegin, chunkEnd } from '../common';
import {
  UNARY_OP_RELU as RELU, UNARY_OP_LEAKY_RELU as LEAKY, UNARY_OP_ELU as ELU, UNARY_OP_SIGMOID as SIGMOID, UNARY_OP_TANH as TANH, UNARY_OP_EXP as EXP,
  UNARY_OP_LOG as LOG, UNARY_OP_SQRT as SQRT, UNARY_OP_NEG as NEG, UNARY_OP_SQUARE as SQUARE, UNARY_OP_IDENTITY as IDENTITY,
} from '../generated/spec';

export { RELU, LEAKY, ELU, SIGMOID, TANH, EXP, LOG, SQRT, NEG, SQUARE };


// @ts-ignore: decorator
@inline export function unaryScalar(op: i32, x: f32, alpha: f32): f32 {
  switch (op) {
    case RELU: return x > 0 ? x : (x != x ? x : 0);
    case LEAKY: return x > 0 ? x : x * alpha;
    case ELU: return x > 0 ? x : alpha * (Mathf.exp(x) - 1);
    case SIGMOID: return x >= 0 ? 1 / (1 + Mathf.exp(-x)) : Mathf.exp(x) / (1 + Mathf.exp(x));
    case TANH: return Mathf.tanh(x);
    case EXP: return Mathf.exp(x);
    case LOG: return Mathf.log(x);
    case SQRT: return Mathf.sqrt(x);
    case NEG: return -x;
    case SQUARE: return x * x;
    default: return x;
  }
}

export function unary(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const x = argP(frame, 0), y = argP(frame, 1), op = argI(frame, 2), alpha = argF(frame, 3), size = argI(frame, 4);
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, size);
  let i = i0;
  if (op == RELU || op == LEAKY || op == NEG || op == SQUARE || op == IDENTITY || op == SQRT) {
    const z = f32x4.splat(0), av = f32x4.splat(alpha);
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      let r: v128;
      if (op == RELU) r = f32x4.max(v, z);
      else if (op == LEAKY) r = v128.bitselect(v, f32x4.mul(v, av), f32x4.gt(v, z));
      else if (op == NEG) r = f32x4.neg(v);
      else if (op == SQUARE) r = f32x4.mul(v, v);
      else if (op == SQRT) r = f32x4.sqrt(v);
      else r = v;
      v128.store(y + o, r);
    }
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, unaryScalar(op, load<f32>(x + o), alpha));
  }
}
