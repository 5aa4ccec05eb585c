import { ArgumentError, ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import type { Backend } from '../spec.js';
import { sizeOf } from '../plans/common.js';

export function checkNewShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, 'shape', shape, 'an array of positive integers');
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
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return engine.wrap(b, b.upload(data), shape);
}

function filled(op: string, shape: readonly number[], value: number, backend?: Backend): Tensor {
  checkNewShape(op, shape);
  return tensor(new Float32Array(sizeOf(shape)).fill(value), shape, backend);
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
