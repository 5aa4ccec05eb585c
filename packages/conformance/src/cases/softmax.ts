import type { CaseBase } from './types.js';

export interface SoftmaxCase extends CaseBase {
  readonly shape: readonly number[];
  readonly log: boolean;
  /** Logits drawn from [-scale, scale]. */
  readonly scale: number;
}

export interface CrossEntropyCase extends CaseBase {
  readonly rows: number;
  readonly cols: number;
  /** 0: one-hot labels; s > 0: (1 - s) * onehot + s / cols. */
  readonly smoothing: number;
  readonly scale: number;
}

export const softmaxCases: readonly SoftmaxCase[] = [false, true].flatMap((log) => [
  { name: `${log ? 'log-softmax' : 'softmax'} [5,7]`, shape: [5, 7], log, scale: 4 },
  { name: `${log ? 'log-softmax' : 'softmax'} rank 3 [3,4,10]`, shape: [3, 4, 10], log, scale: 4 },
  { name: `${log ? 'log-softmax' : 'softmax'} one long row [1,1000]`, shape: [1, 1000], log, scale: 4 },
  { name: `${log ? 'log-softmax' : 'softmax'} large logits +-100 (stability)`, shape: [4, 6], log, scale: 100 },
]);

export const crossEntropyCases: readonly CrossEntropyCase[] = [
  { name: 'one-hot [6,5]', rows: 6, cols: 5, smoothing: 0, scale: 3 },
  { name: 'smoothed 0.1 [6,5]', rows: 6, cols: 5, smoothing: 0.1, scale: 3 },
  { name: 'one-hot batch 17, 10 classes', rows: 17, cols: 10, smoothing: 0, scale: 3 },
  { name: 'smoothed 0.2, large logits +-60', rows: 4, cols: 7, smoothing: 0.2, scale: 60 },
];
