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
