import { ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import { sizeOf } from '../plans/common.js';
import { planConcat, planPad, planSlice, planTranspose } from '../plans/layout.js';

/** Same values, another shape of the same size (shares storage; one -1 entry is inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const inferred = shape.filter((d) => d === -1).length;
  let target = [...shape];
  if (inferred > 1 || !shape.every((d) => d === -1 || (Number.isInteger(d) && d >= 0))) {
    throw new ShapeError('reshape', 'shape', shape, 'non-negative integers with at most one -1');
  }
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0) throw new ShapeError('reshape', 'shape', shape, 'no -1 next to a zero dimension (its size is ambiguous)');
    if (x.size % known !== 0) throw new ShapeError('reshape', 'shape', shape, `a shape of ${x.size} elements (input [${x.shape.join(',')}])`);
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (sizeOf(target) !== x.size) {
    throw new ShapeError('reshape', 'shape', shape, `a shape of ${x.size} elements (input [${x.shape.join(',')}])`);
  }
  const y = engine.view(x, target);
  record('reshape', [y], [x], {});
  return y;
}

/** [N, ...] -> [N, rest]. */
export function flatten(x: Tensor): Tensor {
  if (x.rank < 2) throw new ShapeError('flatten', 'input shape', x.shape, 'rank >= 2 with a batch axis first');
  return reshape(x, [x.shape[0]!, sizeOf(x.shape.slice(1))]);
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const plan = planTranspose(x.shape, perm);
  const [y] = engine.runKernel('Transpose', { x }, { plan }, [plan.outShape]);
  record('Transpose', [y!], [x], { plan });
  return y!;
}

/** x[begin : begin + size] per axis (size -1: to the end). */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const plan = planSlice(x.shape, begin, size);
  const [y] = engine.runKernel('Slice', { x }, { plan }, [plan.outShape]);
  record('Slice', [y!], [x], { plan });
  return y!;
}

/** Constant padding, [before, after] per axis. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  const plan = planPad(x.shape, paddings);
  const [y] = engine.runKernel('Pad', { x }, { plan, value }, [plan.outShape]);
  record('Pad', [y!], [x], { plan, value });
  return y!;
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const plan = planConcat(xs.map((t) => t.shape), axis);
  const [y] = engine.runKernel('Concat', { xs }, { plan }, [plan.outShape]);
  record('Concat', [y!], xs, { plan });
  return y!;
}
