import type { CaseBase } from './types.js';

export interface BatchNormCase extends CaseBase {
  /** Channels on axis 1. */
  readonly shape: readonly number[];
  readonly epsilon: number;
}

export const batchNormCases: readonly BatchNormCase[] = [
  { name: '2D [6,4]', shape: [6, 4], epsilon: 1e-5 },
  { name: '2D batch 17 [17,3]', shape: [17, 3], epsilon: 1e-3 },
  { name: '4D [3,2,4,5]', shape: [3, 2, 4, 5], epsilon: 1e-5 },
  { name: '4D batch 1 [1,3,7,7]', shape: [1, 3, 7, 7], epsilon: 1e-5 },
  { name: '4D channels 64 [2,64,3,3]', shape: [2, 64, 3, 3], epsilon: 1e-5 },
];
