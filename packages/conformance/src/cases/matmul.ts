import type { FusedActivation } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface MatMulCase extends CaseBase {
  /** Stored shapes ([k, m] when transposeA, [n, k] when transposeB). */
  readonly a: readonly [number, number];
  readonly b: readonly [number, number];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly bias: boolean;
  readonly activation: FusedActivation;
}

export const matMulCases: readonly MatMulCase[] = [
  { name: 'plain 5x7 by 7x3', a: [5, 7], b: [7, 3], transposeA: false, transposeB: false, bias: false, activation: 'linear' },
  { name: 'transposeA', a: [7, 5], b: [7, 3], transposeA: true, transposeB: false, bias: false, activation: 'linear' },
  { name: 'transposeB', a: [5, 7], b: [3, 7], transposeA: false, transposeB: true, bias: false, activation: 'linear' },
  { name: 'transposeA and transposeB', a: [7, 5], b: [3, 7], transposeA: true, transposeB: true, bias: false, activation: 'linear' },
  { name: 'fused bias', a: [4, 6], b: [6, 9], transposeA: false, transposeB: false, bias: true, activation: 'linear' },
  { name: 'fused bias and relu, transposeB', a: [17, 13], b: [11, 13], transposeA: false, transposeB: true, bias: true, activation: 'relu' },
  { name: 'single row, k 64', a: [1, 64], b: [64, 10], transposeA: false, transposeB: false, bias: true, activation: 'linear' },
  { name: 'batch 17 by 64 features, k 100', a: [17, 100], b: [64, 100], transposeA: false, transposeB: true, bias: true, activation: 'relu' },
  { name: 'long k 1000', a: [2, 1000], b: [1000, 3], transposeA: false, transposeB: false, bias: false, activation: 'linear', tolerance: 3e-4 },
];
