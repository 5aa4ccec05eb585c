import type { FusedActivation } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface BatchNormCase extends CaseBase {
  /** Channels on axis 1. */
  readonly shape: readonly number[];
  readonly epsilon: number;
  /** The fused epilogue act(bn(x) + residual); default 'linear'. */
  readonly activation?: FusedActivation;
  /** A residual of x's shape added before the activation (the ResNet block's end). */
  readonly residual?: true;
  /** Running statistics updated in place by BatchNormTrain with this momentum. */
  readonly momentum?: number;
  /**
   * 'cancelling': only the gradient is checked, against `gradTolerance`, with |dy| ~ 256 whose per-channel
   * sum nearly cancels (dbeta is 0.01 per element). Sums rounded to float32 at every step (a float
   * accumulator per SIMD lane or per GPU thread) miss dbeta by ~1e-5 of its size here; float64 or
   * compensated sums are exact to the float32 result.
   */
  readonly dy?: 'uniform' | 'cancelling';
  readonly gradTolerance?: number;
}

export const batchNormCases: readonly BatchNormCase[] = [
  { name: '2D [6,4]', shape: [6, 4], epsilon: 1e-5 },
  { name: '2D batch 17 [17,3]', shape: [17, 3], epsilon: 1e-3 },
  { name: '4D [3,2,4,5]', shape: [3, 2, 4, 5], epsilon: 1e-5 },
  { name: '4D batch 1 [1,3,7,7]', shape: [1, 3, 7, 7], epsilon: 1e-5 },
  { name: '4D channels 64 [2,64,3,3]', shape: [2, 64, 3, 3], epsilon: 1e-5 },
  { name: 'running statistics 2D [6,4]', shape: [6, 4], epsilon: 1e-5, momentum: 0.3 },
  { name: 'relu, running statistics [3,5,4,6]', shape: [3, 5, 4, 6], epsilon: 1e-5, activation: 'relu', momentum: 0.1 },
  { name: 'residual, linear [2,3,5,5]', shape: [2, 3, 5, 5], epsilon: 1e-5, residual: true },
  { name: 'residual and relu, running statistics [4,16,8,8]', shape: [4, 16, 8, 8], epsilon: 1e-5, activation: 'relu', residual: true, momentum: 0.1 },
  { name: 'residual and relu, 17 columns [2,8,3,17]', shape: [2, 8, 3, 17], epsilon: 1e-3, activation: 'relu', residual: true, momentum: 1 },
  { name: 'near-cancelling dy [2,3,64,64]', shape: [2, 3, 64, 64], epsilon: 1e-5, dy: 'cancelling', gradTolerance: 1e-6 },
];
