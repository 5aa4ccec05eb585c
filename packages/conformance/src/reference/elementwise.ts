/** Float64 reference for the elementwise kernels: Binary, Expand, Unary, UnaryGrad, BiasAdd, BiasAddGrad, Dropout. */
import type { BinaryOp, BroadcastPlan, ChannelPlan, ExpandPlan, UnaryOp } from '@stridenet/core';

type Values = ArrayLike<number>;

/** For each output index, the a and b indices it reads (NumPy broadcasting, from the plan's shapes). */
export function broadcastIndices(plan: BroadcastPlan): { a: Int32Array; b: Int32Array } {
  const rank = plan.rank;
  const pa = [...new Array<number>(rank - plan.aShape.length).fill(1), ...plan.aShape];
  const pb = [...new Array<number>(rank - plan.bShape.length).fill(1), ...plan.bShape];
  const a = new Int32Array(plan.size);
  const b = new Int32Array(plan.size);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < plan.size; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : idx[d]!);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : idx[d]!);
    }
    a[i] = ia;
    b[i] = ib;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < plan.outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return { a, b };
}

/** x repeated to plan.outShape: each output index maps back to x's index with repeated axes held at 0 (from the shapes, not the plan's strides). */
export function expand(x: Values, plan: ExpandPlan): Float64Array {
  const rank = plan.outShape.length;
  const padded = [...new Array<number>(rank - plan.inShape.length).fill(1), ...plan.inShape];
  const out = new Float64Array(plan.size);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < plan.size; i++) {
    let ix = 0;
    for (let d = 0; d < rank; d++) ix = ix * padded[d]! + (padded[d] === 1 ? 0 : idx[d]!);
    out[i] = x[ix]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < plan.outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function binaryScalar(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case 'add':
      return x + y;
    case 'sub':
      return x - y;
    case 'mul':
      return x * y;
    case 'div':
      return x / y;
    case 'max':
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y);
    case 'min':
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y);
    case 'equal':
      return x === y ? 1 : 0;
  }
}

export function binary(op: BinaryOp, a: Values, b: Values, plan: BroadcastPlan): Float64Array {
  const ix = broadcastIndices(plan);
  const out = new Float64Array(plan.size);
  for (let i = 0; i < plan.size; i++) out[i] = binaryScalar(op, a[ix.a[i]!]!, b[ix.b[i]!]!);
  return out;
}

/** Gradients of sum(dy * op(a, b)) w.r.t. a and b, summed over broadcast axes (max/min: to the larger/smaller, a on ties). */
export function binaryGrad(op: BinaryOp, dy: Values, a: Values, b: Values, plan: BroadcastPlan): { da: Float64Array; db: Float64Array } {
  const ix = broadcastIndices(plan);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let i = 0; i < plan.size; i++) {
    const x = a[ix.a[i]!]!;
    const y = b[ix.b[i]!]!;
    const g = dy[i]!;
    let gx = 0;
    let gy = 0;
    if (op === 'add') [gx, gy] = [1, 1];
    else if (op === 'sub') [gx, gy] = [1, -1];
    else if (op === 'mul') [gx, gy] = [y, x];
    else if (op === 'div') [gx, gy] = [1 / y, -x / (y * y)];
    else if (op === 'max') [gx, gy] = x >= y ? [1, 0] : [0, 1];
    else if (op === 'min') [gx, gy] = x <= y ? [1, 0] : [0, 1];
    da[ix.a[i]!] += g * gx;
    db[ix.b[i]!] += g * gy;
  }
  return { da, db };
}

export function unaryScalar(op: UnaryOp, x: number, alpha: number): number {
  switch (op) {
    case 'relu':
      return x > 0 ? x : Number.isNaN(x) ? x : 0;
    case 'leakyRelu':
      return x > 0 ? x : alpha * x;
    case 'elu':
      return x > 0 ? x : alpha * (Math.exp(x) - 1);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'neg':
      return -x;
    case 'square':
      return x * x;
    case 'identity':
      return x;
  }
}

/** dy * op'(x), written from x and y = op(x) exactly as the UnaryGrad contract states. */
export function unaryGradScalar(op: UnaryOp, dy: number, x: number, y: number, alpha: number): number {
  switch (op) {
    case 'relu':
      return x > 0 ? dy : 0;
    case 'leakyRelu':
      return x > 0 ? dy : dy * alpha;
    case 'elu':
      return x > 0 ? dy : dy * (y + alpha);
    case 'sigmoid':
      return dy * y * (1 - y);
    case 'tanh':
      return dy * (1 - y * y);
    case 'exp':
      return dy * y;
    case 'log':
      return dy / x;
    case 'sqrt':
      return (dy * 0.5) / y;
    case 'neg':
      return -dy;
    case 'square':
      return dy * 2 * x;
    case 'identity':
      return dy;
  }
}

export function unary(op: UnaryOp, x: Values, alpha = 0): Float64Array {
  return Float64Array.from(x, (v) => unaryScalar(op, v, alpha));
}

export function unaryGrad(op: UnaryOp, dy: Values, x: Values, y: Values, alpha = 0): Float64Array {
  return Float64Array.from(x, (v, i) => unaryGradScalar(op, dy[i]!, v, y[i]!, alpha));
}

export function biasAdd(x: Values, bias: Values, plan: ChannelPlan): Float64Array {
  return Float64Array.from(x, (v, i) => v + bias[Math.floor(i / plan.inner) % plan.channels]!);
}

export function biasAddGrad(dy: Values, plan: ChannelPlan): Float64Array {
  const out = new Float64Array(plan.channels);
  for (let i = 0; i < dy.length; i++) out[Math.floor(i / plan.inner) % plan.channels] += dy[i]!;
  return out;
}

export function dropout(x: Values, noise: Values, rate: number): Float64Array {
  return Float64Array.from(x, (v, i) => (noise[i]! >= rate ? v / (1 - rate) : 0));
}
