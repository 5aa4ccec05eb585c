import type { AdamAttrs, SgdAttrs } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface SgdCase extends CaseBase {
  readonly size: number;
  readonly steps: number;
  readonly attrs: Omit<SgdAttrs, 'size'>;
}

export interface AdamCase extends CaseBase {
  readonly size: number;
  readonly steps: number;
  /** `step` counts from 1 over the case's steps. */
  readonly attrs: Omit<AdamAttrs, 'size' | 'step'>;
}

export const sgdCases: readonly SgdCase[] = [
  { name: 'plain', size: 37, steps: 3, attrs: { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 } },
  { name: 'momentum 0.9', size: 37, steps: 4, attrs: { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0 } },
  { name: 'Nesterov 0.9', size: 37, steps: 4, attrs: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0 } },
  { name: 'weight decay 0.01', size: 37, steps: 3, attrs: { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0.01 } },
  { name: 'Nesterov 0.8 with weight decay 0.05', size: 1000, steps: 3, attrs: { lr: 0.02, momentum: 0.8, nesterov: true, weightDecay: 0.05 } },
];

export const adamCases: readonly AdamCase[] = [
  { name: 'Adam', size: 37, steps: 4, attrs: { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false } },
  { name: 'Adam, L2 weight decay 0.1', size: 37, steps: 3, attrs: { lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1, decoupled: false } },
  { name: 'AdamW, decoupled weight decay 0.1', size: 1000, steps: 3, attrs: { lr: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled: true } },
];

/**
 * Tensor sizes of the multi-tensor cases (SgdUpdateMany, AdamUpdateMany): a single value, sizes off
 * the SIMD widths, and enough values in all that a threaded backend splits the list mid-tensor.
 */
export const manySizes: readonly number[] = [37, 1, 5, 16, 40000, 3, 20001];

export interface AllFiniteCase extends CaseBase {
  readonly sizes: readonly number[];
  /** [tensor index, value index, value] written over the uniform data. */
  readonly bad: readonly (readonly [number, number, number])[];
  readonly expected: 0 | 1;
}

export const allFiniteCases: readonly AllFiniteCase[] = [
  { name: 'all finite', sizes: manySizes, bad: [], expected: 1 },
  { name: 'huge but finite values', sizes: [3, 9], bad: [[0, 1, 3.4e38], [1, 8, -3.4e38]], expected: 1 },
  { name: 'one tensor', sizes: [4099], bad: [], expected: 1 },
  { name: 'NaN in the first value', sizes: manySizes, bad: [[0, 0, NaN]], expected: 0 },
  { name: '+Inf in the last value of the last tensor', sizes: manySizes, bad: [[6, 20000, Infinity]], expected: 0 },
  { name: '-Inf in a one-value tensor', sizes: manySizes, bad: [[1, 0, -Infinity]], expected: 0 },
  { name: 'NaN mid-way through a large tensor', sizes: manySizes, bad: [[4, 20483, NaN]], expected: 0 },
  { name: 'NaN in a SIMD tail', sizes: [5, 7], bad: [[1, 6, NaN]], expected: 0 },
];
