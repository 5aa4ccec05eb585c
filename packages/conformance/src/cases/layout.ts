import type { CaseBase } from './types.js';

export interface ConcatCase extends CaseBase {
  readonly shapes: readonly (readonly number[])[];
  readonly axis: number;
}

export interface SliceCase extends CaseBase {
  readonly shape: readonly number[];
  readonly begin: readonly number[];
  /** -1: to the end of the axis. */
  readonly size: readonly number[];
}

export interface TransposeCase extends CaseBase {
  readonly shape: readonly number[];
  readonly perm: readonly number[];
}

export interface PadCase extends CaseBase {
  readonly shape: readonly number[];
  readonly paddings: readonly (readonly [number, number])[];
  readonly value: number;
}

export const concatCases: readonly ConcatCase[] = [
  { name: 'axis 0, three tensors', shapes: [[2, 3], [1, 3], [4, 3]], axis: 0 },
  { name: 'axis 1 (channels) NCHW', shapes: [[2, 3, 4, 4], [2, 5, 4, 4]], axis: 1 },
  { name: 'last axis, negative index', shapes: [[2, 3, 2], [2, 3, 5], [2, 3, 1]], axis: -1 },
  { name: 'single tensor', shapes: [[3, 4]], axis: 1 },
];

export const sliceCases: readonly SliceCase[] = [
  { name: 'rank 2 middle block', shape: [5, 7], begin: [1, 2], size: [3, 4] },
  { name: 'NCHW crop with -1', shape: [2, 3, 6, 6], begin: [1, 0, 2, 1], size: [1, -1, 3, -1] },
  { name: 'rank 1 single element', shape: [9], begin: [8], size: [1] },
];

export const transposeCases: readonly TransposeCase[] = [
  { name: 'rank 2 [5,7]', shape: [5, 7], perm: [1, 0] },
  { name: 'NCHW to NHWC', shape: [2, 3, 4, 5], perm: [0, 2, 3, 1] },
  { name: 'rank 3 rotate', shape: [3, 4, 5], perm: [2, 0, 1] },
  { name: 'rank 5 reverse', shape: [2, 3, 1, 2, 3], perm: [4, 3, 2, 1, 0] },
  { name: 'identity permutation', shape: [4, 3], perm: [0, 1] },
];

export const padCases: readonly PadCase[] = [
  { name: 'NCHW spatial zero padding', shape: [1, 2, 3, 4], paddings: [[0, 0], [0, 0], [1, 2], [2, 0]], value: 0 },
  { name: 'rank 2 with value -1.5', shape: [3, 3], paddings: [[2, 1], [0, 3]], value: -1.5 },
  { name: 'no padding', shape: [2, 5], paddings: [[0, 0], [0, 0]], value: 7 },
];
