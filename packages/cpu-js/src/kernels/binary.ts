import type { BinaryOp, BroadcastPlan, KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

type Op = (a: number, b: number) => number;

// Math.max / Math.min propagate NaN, as torch.maximum / torch.minimum do.
export const BINARY_OPS: Readonly<Record<BinaryOp, Op>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: Math.max,
  min: Math.min,
  equal: (a, b) => (a === b ? 1 : 0),
};

export const Binary: KernelFn<Float32Array, 'Binary'> = ({ a, b }, { op, plan }) => {
  const y = alloc(plan.size);
  const f = BINARY_OPS[op];
  if (plan.same) {
    for (let i = 0; i < plan.size; i++) y[i] = f(a[i]!, b[i]!);
  } else if (a.length === 1) {
    const s = a[0]!;
    for (let i = 0; i < plan.size; i++) y[i] = f(s, b[i]!);
  } else if (b.length === 1) {
    const s = b[0]!;
    for (let i = 0; i < plan.size; i++) y[i] = f(a[i]!, s);
  } else broadcast(plan, a, b, y, f);
  return y;
};

/** Walks the output in order with a counter per axis; the last axis runs as a strided inner loop. */
function broadcast(plan: BroadcastPlan, a: Float32Array, b: Float32Array, y: Float32Array, f: Op): void {
  const { rank, outShape, aStrides, bStrides, size } = plan;
  const last = rank - 1;
  const len = outShape[last]!;
  const sa = aStrides[last]!;
  const sb = bStrides[last]!;
  const idx = new Int32Array(rank);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < size; o += len) {
    for (let j = 0, pa = ia, pb = ib; j < len; j++, pa += sa, pb += sb) y[o + j] = f(a[pa]!, b[pb]!);
    for (let d = last - 1; d >= 0; d--) {
      idx[d] += 1;
      ia += aStrides[d]!;
      ib += bStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= aStrides[d]! * outShape[d]!;
      ib -= bStrides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}
