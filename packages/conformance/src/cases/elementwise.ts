import type { BinaryOp, UnaryOp } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface BinaryCase extends CaseBase {
  readonly op: BinaryOp;
  readonly a: readonly number[];
  readonly b: readonly number[];
}

export interface UnaryCase extends CaseBase {
  readonly op: UnaryOp;
  readonly alpha: number;
  readonly size: number;
  /** Input range; kinked ops get values at least 0.05 away from 0. */
  readonly low: number;
  readonly high: number;
}

export interface BiasAddCase extends CaseBase {
  /** Channels on axis 1. */
  readonly shape: readonly number[];
}

export interface ExpandCase extends CaseBase {
  readonly from: readonly number[];
  readonly to: readonly number[];
}

export interface DropoutCase extends CaseBase {
  readonly size: number;
  readonly rate: number;
}

const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'equal'];

export const binaryCases: readonly BinaryCase[] = [
  ...BINARY_OPS.map((op) => ({ name: `${op}, same shape [3,5,7]`, op, a: [3, 5, 7], b: [3, 5, 7] })),
  ...BINARY_OPS.map((op) => ({ name: `${op}, broadcast [2,3,4] with [3,1]`, op, a: [2, 3, 4], b: [3, 1] })),
  { name: 'mul, broadcast both ways [4,1,5] with [1,3,1]', op: 'mul', a: [4, 1, 5], b: [1, 3, 1] },
  { name: 'add, per-channel [2,3,4,4] with [1,3,1,1]', op: 'add', a: [2, 3, 4, 4], b: [1, 3, 1, 1] },
  { name: 'sub, scalar first [1] with [2,6]', op: 'sub', a: [1], b: [2, 6] },
  { name: 'div, rank 6 [2,1,2,1,2,3] with [3]', op: 'div', a: [2, 1, 2, 1, 2, 3], b: [3] },
];

const UNARY_OPS: readonly UnaryOp[] = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'neg', 'square', 'identity'];

export const unaryCases: readonly UnaryCase[] = UNARY_OPS.map((op) => ({
  name: `${op}, 257 values`,
  op,
  alpha: op === 'leakyRelu' ? 0.1 : op === 'elu' ? 0.7 : 0,
  size: 257,
  // log and sqrt stay on [0.5, 3] so that central differences are not dominated by curvature.
  low: op === 'log' || op === 'sqrt' ? 0.5 : -3,
  high: 3,
}));

export const biasAddCases: readonly BiasAddCase[] = [
  { name: '2D [3,5]', shape: [3, 5] },
  { name: '3D [2,4,7]', shape: [2, 4, 7] },
  { name: '4D [2,3,5,5]', shape: [2, 3, 5, 5] },
  { name: '4D channels 64 [2,64,3,3]', shape: [2, 64, 3, 3] },
];

export const dropoutCases: readonly DropoutCase[] = [
  { name: 'rate 0.3, 1000 values', size: 1000, rate: 0.3 },
  { name: 'rate 0 keeps everything', size: 64, rate: 0 },
  { name: 'rate 0.9, 257 values', size: 257, rate: 0.9 },
];

export const expandCases: readonly ExpandCase[] = [
  { name: 'one value to [7,9] (a constant fill)', from: [1], to: [7, 9] },
  { name: 'row [5] to [2,4,5]', from: [5], to: [2, 4, 5] },
  { name: 'column [3,1] to [3,6]', from: [3, 1], to: [3, 6] },
  { name: 'channels [1,3,1,1] to [2,3,4,4]', from: [1, 3, 1, 1], to: [2, 3, 4, 4] },
  { name: 'interleaved [2,1,4,1] to [2,3,4,5]', from: [2, 1, 4, 1], to: [2, 3, 4, 5] },
  { name: 'nothing to repeat [4,5]', from: [4, 5], to: [4, 5] },
  { name: 'scalar [] to [3,2]', from: [], to: [3, 2] },
  { name: 'rank 6 [2,1,2,1,2,3] to [2,2,2,3,2,3]', from: [2, 1, 2, 1, 2, 3], to: [2, 2, 2, 3, 2, 3] },
  { name: 'larger [1,37,1] to [16,37,24]', from: [1, 37, 1], to: [16, 37, 24] },
];
