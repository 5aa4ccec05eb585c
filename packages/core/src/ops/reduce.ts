import { ArgumentError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import type { ReduceOp } from '../spec/index.js';
import { sizeOf } from '../plans/common.js';
import { planReduce } from '../plans/layout.js';
import { planTensorList } from '../plans/tensor-list.js';
import { scalar } from './create.js';
import { reshape, transpose } from './layout.js';

function normAxes(op: string, x: Tensor, axes: number | readonly number[] | undefined): number[] {
  const list = axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -x.rank || a >= x.rank) {
      throw new ArgumentError(op, 'axes', axes, `integers in [${-x.rank}, ${x.rank - 1}] for input rank ${x.rank}`);
    }
    return a < 0 ? a + x.rank : a;
  });
  if (new Set(out).size !== out.length) throw new ArgumentError(op, 'axes', axes, 'distinct axes');
  return out.sort((a, b) => a - b);
}

function reduce(op: ReduceOp, x: Tensor, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  const ax = normAxes(op, x, axes);
  const keptShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !ax.includes(i));
  const finalShape = outShape.length === 0 ? [1] : outShape;
  if (ax.length === 0) return reshape(x, x.shape);
  const contiguous = ax.every((a, i) => i === 0 || a === ax[i - 1]! + 1);
  let y: Tensor;
  if (contiguous) {
    const first = ax[0]!;
    const last = ax[ax.length - 1]!;
    const plan = planReduce(sizeOf(x.shape.slice(0, first)), sizeOf(x.shape.slice(first, last + 1)), sizeOf(x.shape.slice(last + 1)));
    [y] = engine.runKernel('Reduce', { x }, { op, plan }, [finalShape]) as [Tensor];
  } else {
    const keepAxes = x.shape.map((_, i) => i).filter((i) => !ax.includes(i));
    const perm = [...keepAxes, ...ax];
    const xt = transpose(x, perm);
    const plan = planReduce(sizeOf(keepAxes.map((i) => x.shape[i]!)), sizeOf(ax.map((i) => x.shape[i]!)), 1);
    [y] = engine.runKernel('Reduce', { x: xt }, { op, plan }, [finalShape]) as [Tensor];
    xt.dispose();
  }
  record('reduce', [y], [x], { op, keptShape, count: sizeOf(ax.map((i) => x.shape[i]!)) });
  return y;
}

/** Sum over `axes` (all by default). */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduce('sum', x, axes, keepDims);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduce('mean', x, axes, keepDims);
}

/** Maximum over `axes`; NaN propagates. The gradient goes to every position equal to the maximum. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduce('max', x, axes, keepDims);
}

/**
 * [1] tensor: 1 when every value of every tensor is finite, else 0 (NaN or ±Inf anywhere). One
 * AllFinite kernel call for the whole list; empty tensors are left out (nothing to check).
 */
export function allFiniteFlag(xs: readonly Tensor[]): Tensor {
  if (!Array.isArray(xs)) throw new ArgumentError('allFiniteFlag', 'xs', xs, 'an array of tensors');
  const live = xs.filter((t) => t.size > 0);
  if (live.length === 0) return scalar(1, xs[0]?.backend);
  const plan = planTensorList('allFiniteFlag', live.map((t) => t.size));
  const [y] = engine.runKernel('AllFinite', { xs: live }, { plan }, [[1]]) as [Tensor];
  return y;
}
