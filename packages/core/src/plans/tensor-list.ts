import { ArgumentError } from '../errors.js';
import { freezePlan, isPositiveInt } from './common.js';

/**
 * A list of tensors processed as one flat run of elements (the multi-tensor optimizer updates and
 * AllFinite): tensor i holds sizes[i] values. Backends may split `total` across threads freely.
 */
export interface TensorListPlan {
  readonly kind: 'tensorList';
  readonly count: number;
  /** Sum of sizes (below 2^31, so every backend indexes it with 32-bit integers). */
  readonly total: number;
  readonly sizes: readonly number[];
  /** [count, total, sizes...] */
  readonly encoded: Int32Array;
}

/** `sizes` are the element counts of the listed tensors: at least one, each a positive integer. */
export function planTensorList(op: string, sizes: readonly number[]): TensorListPlan {
  if (!Array.isArray(sizes) || sizes.length < 1) throw new ArgumentError(op, 'tensor count', Array.isArray(sizes) ? sizes.length : sizes, 'at least one tensor');
  let total = 0;
  sizes.forEach((n, i) => {
    if (!isPositiveInt(n)) throw new ArgumentError(op, `sizes[${i}]`, n, 'a positive integer (empty tensors are left out by the caller)');
    total += n;
  });
  if (total > 0x7fffffff) throw new ArgumentError(op, 'total size', total, `at most ${0x7fffffff} values in one list`);
  return freezePlan({
    kind: 'tensorList' as const,
    count: sizes.length,
    total,
    sizes: Object.freeze([...sizes]),
    encoded: Int32Array.from([sizes.length, total, ...sizes]),
  });
}
