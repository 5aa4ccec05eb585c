/** Float64 reference for the data-movement kernels: Concat, Slice, Transpose, Pad. */
import type { ConcatPlan, PadPlan, SlicePlan, TransposePlan } from '@stridenet/core';

type Values = ArrayLike<number>;

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major multi-index of flat index i in shape. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

/** Concatenation along plan.axis of tensors with the given shapes. */
export function concat(xs: readonly Values[], shapes: readonly (readonly number[])[], plan: ConcatPlan): Float64Array {
  const out = new Float64Array(size(plan.outShape));
  let axisOffset = 0;
  xs.forEach((x, t) => {
    const shape = shapes[t]!;
    for (let i = 0; i < x.length; i++) {
      const idx = unravel(i, shape);
      idx[plan.axis] += axisOffset;
      out[ravel(idx, plan.outShape)] = x[i]!;
    }
    axisOffset += shape[plan.axis]!;
  });
  return out;
}

export function slice(x: Values, plan: SlicePlan): Float64Array {
  const out = new Float64Array(size(plan.outShape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, plan.outShape).map((v, d) => v + plan.begin[d]!);
    out[i] = x[ravel(idx, plan.inShape)]!;
  }
  return out;
}

export function transpose(x: Values, plan: TransposePlan): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < out.length; i++) {
    const o = unravel(i, plan.outShape);
    const idx = new Array<number>(plan.rank);
    plan.perm.forEach((p, d) => (idx[p] = o[d]!));
    out[i] = x[ravel(idx, plan.inShape)]!;
  }
  return out;
}

export function pad(x: Values, plan: PadPlan, value: number): Float64Array {
  const out = new Float64Array(size(plan.outShape)).fill(value);
  for (let i = 0; i < x.length; i++) {
    const idx = unravel(i, plan.inShape).map((v, d) => v + plan.before[d]!);
    out[ravel(idx, plan.outShape)] = x[i]!;
  }
  return out;
}
