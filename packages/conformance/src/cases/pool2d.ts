import type { Pool2dOptions } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface Pool2dCase extends CaseBase {
  readonly kind: 'max' | 'avg';
  /** NCHW. */
  readonly input: readonly [number, number, number, number];
  readonly options: Pool2dOptions;
  /**
   * 'nan-inf': NaN, +Inf and -Inf planted (forward only); 'ties': repeated values (first maximum wins);
   * 'nans': about a third of the cells NaN, so windows hold several (the gradient goes to the last one).
   */
  readonly special?: 'nan-inf' | 'ties' | 'nans';
}

const shared: readonly Omit<Pool2dCase, 'kind'>[] = [
  { name: '2x2 stride 2, 8x8', input: [2, 3, 8, 8], options: { window: 2 } },
  { name: '3x3 stride 2 overlapping, 13x11', input: [1, 3, 13, 11], options: { window: 3, stride: 2 } },
  { name: 'stride 3 larger than the 2x2 window', input: [1, 2, 10, 10], options: { window: 2, stride: 3 } },
  { name: 'window equal to the 7x7 input', input: [2, 3, 7, 7], options: { window: 7 } },
  { name: '3x3 stride 1, padding 1 (half the window)', input: [1, 2, 7, 7], options: { window: 3, stride: 1, padding: 1 } },
  { name: 'ceil mode, 3x3 stride 2, 8x8', input: [2, 2, 8, 8], options: { window: 3, stride: 2, ceilMode: true } },
  { name: 'ceil mode, padding 1, 7x8', input: [1, 2, 7, 8], options: { window: 3, stride: 2, padding: 1, ceilMode: true } },
  { name: 'asymmetric explicit padding [1,0,0,1]', input: [1, 2, 6, 6], options: { window: 2, stride: 2, padding: [1, 0, 0, 1] } },
  { name: "'same', 3x3 stride 2, 7x6", input: [1, 2, 7, 6], options: { window: 3, stride: 2, padding: 'same' } },
  { name: 'channels 64', input: [2, 64, 6, 6], options: { window: 2 } },
  { name: 'batch 17, channels 1, stride 1', input: [17, 1, 5, 5], options: { window: 2, stride: 1 } },
  { name: 'rectangular 2x3 window, stride [2,3]', input: [1, 2, 7, 9], options: { window: [2, 3], stride: [2, 3] } },
  { name: '1D: window 3 stride 2 padding 1 (maxPool1d / avgPool1d as [N, C, 1, W])', input: [2, 3, 1, 17], options: { window: [1, 3], stride: [1, 2], padding: [0, 1] } },
  { name: 'NaN and Inf inputs', input: [2, 2, 6, 6], options: { window: 3, stride: 2, padding: 1 }, special: 'nan-inf' },
];

export const pool2dCases: readonly Pool2dCase[] = [
  ...shared.map((c) => ({ ...c, kind: 'max' as const })),
  { kind: 'max', name: 'ties go to the first maximum', input: [1, 2, 6, 6], options: { window: 3, stride: 1 }, special: 'ties' },
  { kind: 'max', name: 'ties, 2x2 stride 2, 8x12', input: [2, 3, 8, 12], options: { window: 2 }, special: 'ties' },
  { kind: 'max', name: 'ties, 2x18 window stride 1, padding [0,1]', input: [1, 2, 4, 40], options: { window: [2, 18], stride: 1, padding: [0, 1] }, special: 'ties' },
  // Several NaNs in a window: the gradient goes to the last NaN in row-major order (PyTorch), on the
  // 2x2 fast paths, strides 1 and 2, a window wider than 16 columns and the scalar stride-3 path.
  { kind: 'max', name: 'several NaNs per window, 2x2 stride 2', input: [2, 3, 8, 12], options: { window: 2 }, special: 'nans' },
  { kind: 'max', name: 'several NaNs per window, 3x3 stride 1 padding 1', input: [2, 2, 7, 9], options: { window: 3, stride: 1, padding: 1 }, special: 'nans' },
  { kind: 'max', name: 'several NaNs per window, 3x3 stride 2 ceil mode', input: [1, 2, 9, 12], options: { window: 3, stride: 2, ceilMode: true }, special: 'nans' },
  { kind: 'max', name: 'several NaNs per window, 2x18 window stride 1', input: [1, 2, 4, 40], options: { window: [2, 18], stride: 1 }, special: 'nans' },
  { kind: 'max', name: 'several NaNs per window, 3x3 stride 3', input: [1, 2, 10, 11], options: { window: 3, stride: 3 }, special: 'nans' },
  ...shared.map((c) => ({ ...c, kind: 'avg' as const })),
  { kind: 'avg', name: '3x3 stride 2, padding 1, padded cells not counted', input: [1, 2, 7, 7], options: { window: 3, stride: 2, padding: 1, countIncludePad: false } },
  { kind: 'avg', name: 'ceil mode, padding 1, padded cells not counted', input: [2, 1, 8, 7], options: { window: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false } },
  { kind: 'avg', name: "'same' 2x2 stride 1, padded cells not counted", input: [1, 2, 5, 6], options: { window: 2, stride: 1, padding: 'same', countIncludePad: false } },
];
