/** Float64 reference for Reduce ([outer, reduce, inner] -> [outer, inner]) and its gradient. */
import type { ReduceOp, ReducePlan } from '@stridenet/core';

type Values = ArrayLike<number>;

export function reduce(op: ReduceOp, x: Values, plan: ReducePlan): Float64Array {
  const { outer, reduce: r, inner } = plan;
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === 'max' ? -Infinity : 0;
      for (let k = 0; k < r; k++) {
        const v = x[(o * r + k) * inner + i]!;
        if (op === 'max') acc = Number.isNaN(v) || Number.isNaN(acc) ? NaN : Math.max(acc, v);
        else acc += v;
      }
      out[o * inner + i] = op === 'mean' ? acc / r : acc;
    }
  }
  return out;
}

/** Gradient of sum(dy * reduce(x)); max sends it to the first maximum. */
export function reduceGrad(op: ReduceOp, dy: Values, x: Values, plan: ReducePlan): Float64Array {
  const { outer, reduce: r, inner } = plan;
  const dx = new Float64Array(outer * r * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const g = dy[o * inner + i]!;
      if (op === 'max') {
        let best = o * r * inner + i;
        for (let k = 1; k < r; k++) {
          const j = (o * r + k) * inner + i;
          if (x[j]! > x[best]!) best = j;
        }
        dx[best] = g;
      } else {
        for (let k = 0; k < r; k++) dx[(o * r + k) * inner + i] = op === 'mean' ? g / r : g;
      }
    }
  }
  return dx;
}
