import type { KernelFn, UnaryOp } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** One loop per op so each stays monomorphic; NaN passes through every op (relu included). */
export function applyUnary(op: UnaryOp, alpha: number, x: Float32Array, y: Float32Array, size: number): void {
  switch (op) {
    case 'relu':
      for (let i = 0; i < size; i++) {
        const v = x[i]!;
        y[i] = v < 0 ? 0 : v;
      }
      return;
    case 'leakyRelu':
      for (let i = 0; i < size; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : alpha * v;
      }
      return;
    case 'elu':
      for (let i = 0; i < size; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : alpha * Math.expm1(v);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < size; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
      return;
    case 'tanh':
      for (let i = 0; i < size; i++) y[i] = Math.tanh(x[i]!);
      return;
    case 'exp':
      for (let i = 0; i < size; i++) y[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < size; i++) y[i] = Math.log(x[i]!);
      return;
    case 'sqrt':
      for (let i = 0; i < size; i++) y[i] = Math.sqrt(x[i]!);
      return;
    case 'neg':
      for (let i = 0; i < size; i++) y[i] = -x[i]!;
      return;
    case 'square':
      for (let i = 0; i < size; i++) {
        const v = x[i]!;
        y[i] = v * v;
      }
      return;
    case 'identity':
      y.set(x.subarray(0, size));
      return;
    default:
      throw new Error(`cpu-js Unary: op is ${JSON.stringify(op)} but expected one of ${UNARY_OPS.join(', ')}`);
  }
}

export const UNARY_OPS: readonly UnaryOp[] = [
  'relu',
  'leakyRelu',
  'elu',
  'sigmoid',
  'tanh',
  'exp',
  'log',
  'sqrt',
  'neg',
  'square',
  'identity',
];

export const Unary: KernelFn<Float32Array, 'Unary'> = ({ x }, { op, alpha, size }) => {
  const y = alloc(size);
  applyUnary(op, alpha, x, y, size);
  return y;
};
