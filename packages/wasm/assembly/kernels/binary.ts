// Broadcasting binary ops. Same-shape operands take a flat v128 loop; otherwise an odometer walks
// the output with the plan's per-axis strides (0 on broadcast axes).
// Frame: 0 a, 1 b, 2 out, 3 op (BINARY_OP_* codes), 4 same. Plan: BROADCAST_ENCODING.
import { argI, argP, planI, chunkBegin, chunkEnd } from '../common';
import { BINARY_OP_ADD as ADD, BINARY_OP_SUB as SUB, BINARY_OP_MUL as MUL, BINARY_OP_DIV as DIV, BINARY_OP_MAX as MAX, BINARY_OP_MIN as MIN } from '../generated/spec';

// @ts-ignore: decorator
@inline function apply(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAX: return max<f32>(a, b);
    case MIN: return min<f32>(a, b);
    default: return a == b ? 1 : 0;
  }
}

// @ts-ignore: decorator
@inline function applyV(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    case MAX: return f32x4.max(a, b);
    case MIN: return f32x4.min(a, b);
    default: return v128.and(f32x4.eq(a, b), f32x4.splat(1));
  }
}

export function binary(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const a = argP(frame, 0), b = argP(frame, 1), out = argP(frame, 2);
  const op = argI(frame, 3), same = argI(frame, 4);
  const rank = planI(frame, 0), size = planI(frame, 1);
  const i0 = chunkBegin(u0), i1 = chunkEnd(u1, size);
  if (same) {
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, v128.load(a + o), v128.load(b + o)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, apply(op, load<f32>(a + o), load<f32>(b + o)));
    }
    return;
  }
  // Odometer state lives in scratch: idx[6].
  const idx = scratch;
  let rem = i0;
  let ao = 0, bo = 0;
  for (let d = rank - 1; d >= 0; d--) {
    const n = planI(frame, 2 + d);
    const q = rem % n;
    rem = rem / n;
    store<i32>(idx + (<usize>d << 2), q);
    ao += q * planI(frame, 8 + d);
    bo += q * planI(frame, 14 + d);
  }
  const last = rank - 1;
  const nLast = planI(frame, 2 + last), saLast = planI(frame, 8 + last), sbLast = planI(frame, 14 + last);
  let i = i0;
  while (i < i1) {
    let q = load<i32>(idx + (<usize>last << 2));
    const run = nLast - q < i1 - i ? nLast - q : i1 - i;
    for (let t = 0; t < run; t++) {
      store<f32>(out + (<usize>(i + t) << 2), apply(op, load<f32>(a + (<usize>ao << 2)), load<f32>(b + (<usize>bo << 2))));
      ao += saLast;
      bo += sbLast;
    }
    i += run;
    q += run;
    if (q < nLast) {
      store<i32>(idx + (<usize>last << 2), q);
      continue;
    }
    // Carry into the outer axes.
    ao -= nLast * saLast;
    bo -= nLast * sbLast;
    store<i32>(idx + (<usize>last << 2), 0);
    for (let d = last - 1; d >= 0; d--) {
      const p = idx + (<usize>d << 2);
      const v = load<i32>(p) + 1;
      const sa = planI(frame, 8 + d), sb = planI(frame, 14 + d);
      if (v < planI(frame, 2 + d)) {
        store<i32>(p, v);
        ao += sa;
        bo += sb;
        break;
      }
      store<i32>(p, 0);
      ao -= (v - 1) * sa;
      bo -= (v - 1) * sb;
    }
  }
}
