import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { UNARY_OPS } from './unary.js';

/** dx = dy * op'(x), written with y = op(x) where the derivative is cheaper from y. */
export const UnaryGrad: KernelFn<Float32Array, 'UnaryGrad'> = ({ dy, x, y }, { op, alpha, size }) => {
  const dx = alloc(size);
  switch (op) {
    case 'relu':
      for (let i = 0; i < size; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
      break;
    case 'leakyRelu':
      for (let i = 0; i < size; i++) dx[i] = x[i]! > 0 ? dy[i]! : dy[i]! * alpha;
      break;
    case 'elu':
      for (let i = 0; i < size; i++) dx[i] = x[i]! > 0 ? dy[i]! : dy[i]! * (y[i]! + alpha);
      break;
    case 'sigmoid':
      for (let i = 0; i < size; i++) {
        const s = y[i]!;
        dx[i] = dy[i]! * s * (1 - s);
      }
      break;
    case 'tanh':
      for (let i = 0; i < size; i++) {
        const t = y[i]!;
        dx[i] = dy[i]! * (1 - t * t);
      }
      break;
    case 'exp':
      for (let i = 0; i < size; i++) dx[i] = dy[i]! * y[i]!;
      break;
    case 'log':
      for (let i = 0; i < size; i++) dx[i] = dy[i]! / x[i]!;
      break;
    case 'sqrt':
      for (let i = 0; i < size; i++) dx[i] = (0.5 * dy[i]!) / y[i]!;
      break;
    case 'neg':
      for (let i = 0; i < size; i++) dx[i] = -dy[i]!;
      break;
    case 'square':
      for (let i = 0; i < size; i++) dx[i] = 2 * x[i]! * dy[i]!;
      break;
    case 'identity':
      dx.set(dy.subarray(0, size));
      break;
    default:
      throw new Error(`cpu-js UnaryGrad: op is ${JSON.stringify(op)} but expected one of ${UNARY_OPS.join(', ')}`);
  }
  return dx;
};
