import type { ReduceOp } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface ReduceCase extends CaseBase {
  readonly op: ReduceOp;
  /** [outer, reduce, inner]. */
  readonly dims: readonly [number, number, number];
  readonly special?: 'nan-inf';
}

const OPS: readonly ReduceOp[] = ['sum', 'mean', 'max'];

export const reduceCases: readonly ReduceCase[] = [
  ...OPS.map((op) => ({ name: `${op} middle axis [3,7,5]`, op, dims: [3, 7, 5] as const })),
  ...OPS.map((op) => ({ name: `${op} last axis [4,13,1]`, op, dims: [4, 13, 1] as const })),
  ...OPS.map((op) => ({ name: `${op} first axis [1,17,6]`, op, dims: [1, 17, 6] as const })),
  // Long reductions accumulate rounding: the bound grows with the length.
  ...OPS.map((op) => ({ name: `${op} long [1,4096,1]`, op, dims: [1, 4096, 1] as const, tolerance: 1e-4 })),
  { name: 'max with NaN and Inf', op: 'max', dims: [2, 6, 3], special: 'nan-inf' },
  { name: 'sum with NaN and Inf', op: 'sum', dims: [2, 6, 3], special: 'nan-inf' },
];
