import { ArgumentError, ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import type { Backend } from '../spec/index.js';
import { sizeOf } from '../plans/common.js';
import { planExpand } from '../plans/elementwise.js';

export function checkNewShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(op, 'shape', shape, 'an array of non-negative integers');
  }
}

/** A tensor holding a copy of `values` (row-major) on the active backend, or on `backend`. */
export function tensor(values: ArrayLike<number>, shape: readonly number[], backend?: Backend): Tensor {
  checkNewShape('tensor', shape);
  const n = sizeOf(shape);
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new ArgumentError('tensor', 'values', values, 'an array or typed array of numbers');
  }
  if (values.length !== n) {
    throw new ShapeError('tensor', 'values length', values.length, `${n} for shape [${shape.join(',')}]`);
  }
  const b = backend ?? engine.backend;
  if (n === 0) return engine.filled(b, shape, 0);
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return engine.wrap(b, b.upload(data), shape);
}

/** One number comes from the host; the Expand kernel repeats it on the device. */
function filled(op: string, shape: readonly number[], value: number, backend?: Backend): Tensor {
  checkNewShape(op, shape);
  if (typeof value !== 'number') throw new ArgumentError(op, 'value', value, 'a number');
  const one = tensor([value], [1], backend);
  if (shape.length === 1 && shape[0] === 1) return one;
  // Expanded flat ([size]) so any rank works; the output buffer is then seen with the wanted shape.
  const plan = planExpand(op, [1], [sizeOf(shape)]);
  const [y] = engine.runKernel('Expand', { x: one }, { plan }, [shape]);
  one.dispose();
  return y!;
}

export function fill(shape: readonly number[], value: number, backend?: Backend): Tensor {
  return filled('fill', shape, value, backend);
}

export function zeros(shape: readonly number[], backend?: Backend): Tensor {
  return filled('zeros', shape, 0, backend);
}

export function ones(shape: readonly number[], backend?: Backend): Tensor {
  return filled('ones', shape, 1, backend);
}

export function scalar(value: number, backend?: Backend): Tensor {
  return tensor([value], [1], backend);
}
