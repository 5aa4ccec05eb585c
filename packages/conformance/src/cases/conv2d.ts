import type { Conv2dOptions, FusedActivation } from '@stridenet/core';
import type { CaseBase } from './types.js';

export interface Conv2dCase extends CaseBase {
  /** NCHW. */
  readonly input: readonly [number, number, number, number];
  /** OIHW (I = input channels / groups). */
  readonly filter: readonly [number, number, number, number];
  readonly options: Conv2dOptions;
  readonly bias: boolean;
  readonly activation: FusedActivation;
  /** 'nan-inf': NaN, +Inf and -Inf planted in the input; forward only. */
  readonly special?: 'nan-inf';
  /** A residual of the output's shape added before the activation (the ResNet epilogue); forward only. */
  readonly residual?: true;
}

export const conv2dCases: readonly Conv2dCase[] = [
  { name: '3x3 valid, 7x7 input, batch 1, channels 1', input: [1, 1, 7, 7], filter: [2, 1, 3, 3], options: {}, bias: true, activation: 'linear' },
  { name: '3x3 padding 1, 13x11 input, channels 3, relu', input: [2, 3, 13, 11], filter: [4, 3, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu' },
  { name: 'batch 17', input: [17, 3, 5, 5], filter: [2, 3, 3, 3], options: {}, bias: true, activation: 'linear' },
  { name: 'channels 64 in, 3x3 padding 1', input: [1, 64, 6, 6], filter: [8, 64, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu' },
  { name: 'channels 64 out, 1x1 kernel', input: [2, 16, 5, 5], filter: [64, 16, 1, 1], options: {}, bias: true, activation: 'linear' },
  { name: '1x1 kernel, no bias', input: [2, 3, 7, 7], filter: [5, 3, 1, 1], options: {}, bias: false, activation: 'linear' },
  { name: 'stride 3 larger than the 2x2 window', input: [1, 2, 11, 11], filter: [3, 2, 2, 2], options: { stride: 3 }, bias: true, activation: 'linear' },
  { name: 'window equal to the input', input: [2, 3, 5, 5], filter: [4, 3, 5, 5], options: {}, bias: true, activation: 'linear' },
  { name: 'padding 2, half of a 5x5 window', input: [1, 2, 7, 7], filter: [3, 2, 5, 5], options: { padding: 2 }, bias: true, activation: 'linear' },
  { name: 'dilation 2', input: [1, 2, 9, 9], filter: [3, 2, 3, 3], options: { dilation: 2 }, bias: true, activation: 'linear' },
  { name: 'dilation 2, stride 2, padding 2, 11x10', input: [2, 2, 11, 10], filter: [2, 2, 3, 3], options: { dilation: 2, stride: 2, padding: 2 }, bias: false, activation: 'relu' },
  { name: 'groups 2', input: [2, 4, 6, 6], filter: [6, 2, 3, 3], options: { groups: 2, padding: 1 }, bias: true, activation: 'linear' },
  { name: "depthwise 3x3, 'same'", input: [2, 3, 7, 7], filter: [3, 1, 3, 3], options: { groups: 3, padding: 'same' }, bias: true, activation: 'linear' },
  { name: 'depthwise multiplier 2, channels 64', input: [1, 64, 5, 5], filter: [128, 1, 3, 3], options: { groups: 64, padding: 1 }, bias: true, activation: 'relu' },
  { name: 'asymmetric explicit padding [0,2,1,0]', input: [1, 2, 6, 5], filter: [2, 2, 3, 2], options: { padding: [0, 2, 1, 0] }, bias: false, activation: 'linear' },
  { name: "'same' with an even 4x4 kernel", input: [1, 2, 7, 7], filter: [2, 2, 4, 4], options: { padding: 'same' }, bias: true, activation: 'linear' },
  { name: "'same' with stride 2, 8x7", input: [2, 2, 8, 7], filter: [3, 2, 3, 3], options: { padding: 'same', stride: 2 }, bias: true, activation: 'linear' },
  { name: 'rectangular 2x3 kernel, stride [1,2], padding [1,0]', input: [1, 3, 6, 9], filter: [2, 3, 2, 3], options: { stride: [1, 2], padding: [1, 0] }, bias: true, activation: 'linear' },
  // The residual epilogue act(conv + bias + residual) on each algorithm a backend picks by geometry (native:
  // tiled direct, rows side by side, channel chunks, Winograd, depthwise, channels in lanes, GEMM for 3
  // output channels per group, pointwise GEMM; wasm: Winograd and im2col GEMM).
  { name: 'residual, 3x3 stride 2 pad 1, 17 columns', input: [2, 8, 17, 33], filter: [12, 8, 3, 3], options: { stride: 2, padding: 1 }, bias: true, activation: 'relu', residual: true },
  { name: 'residual, narrow 7x5 output, rows side by side', input: [1, 6, 9, 7], filter: [8, 6, 3, 3], options: {}, bias: true, activation: 'linear', residual: true },
  { name: 'residual, 80 input channels in chunks', input: [2, 80, 6, 30], filter: [10, 80, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu', residual: true },
  { name: 'residual, Winograd 3x3 64 -> 16, 8x8', input: [2, 64, 8, 8], filter: [16, 64, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu', residual: true },
  { name: 'residual, Winograd 3x3 64 -> 24, valid 9x20, batch 3', input: [3, 64, 11, 22], filter: [24, 64, 3, 3], options: {}, bias: false, activation: 'linear', residual: true },
  { name: 'residual, depthwise multiplier 2, stride 2', input: [3, 6, 11, 18], filter: [12, 1, 3, 3], options: { groups: 6, stride: 2, padding: 1 }, bias: true, activation: 'relu', residual: true },
  { name: 'residual, 5x5 20 channels over 10 columns', input: [2, 6, 14, 14], filter: [20, 6, 5, 5], options: {}, bias: true, activation: 'relu', residual: true },
  { name: 'residual, 3 output channels, 11 columns', input: [2, 5, 9, 11], filter: [3, 5, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu', residual: true },
  { name: 'residual, groups 2 of 3 output channels', input: [2, 4, 7, 7], filter: [6, 2, 3, 3], options: { groups: 2, padding: 1 }, bias: false, activation: 'relu', residual: true },
  { name: 'residual, pointwise 16 -> 3', input: [2, 16, 5, 5], filter: [3, 16, 1, 1], options: {}, bias: true, activation: 'linear', residual: true },
  { name: 'residual, 1x1 stride 2 (ResNet shortcut)', input: [3, 8, 9, 9], filter: [16, 8, 1, 1], options: { stride: 2 }, bias: true, activation: 'relu', residual: true },
  // Winograd F(4x4, 3x3) edges (wasm with a constant filter): a ragged last tile in both directions, tile
  // groups that straddle tile rows and images, and more input channels than one GEMM K block (256).
  { name: 'Winograd 3x3 16 -> 20, 7x13, batch 3', input: [3, 16, 7, 13], filter: [20, 16, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu' },
  { name: 'Winograd 3x3 260 -> 16, valid 5x6', input: [1, 260, 7, 8], filter: [16, 260, 3, 3], options: {}, bias: false, activation: 'linear' },
  { name: 'NaN and Inf inputs propagate', input: [1, 2, 6, 6], filter: [2, 2, 3, 3], options: { padding: 1 }, bias: true, activation: 'linear', special: 'nan-inf' },
  // Few output positions (deep layers of small images at batch 1-2; native: a dot product per output): a 1x1 map whose
  // 3x3 pad-1 filter reads the input through its middle tap only, a 2x2 map where every tap is live, stride 2 on a
  // 2x2 map (the lower-right taps), and NaN/Inf through the live taps.
  { name: 'few positions: 1x1 map, 3x3 padding 1, residual', input: [1, 40, 1, 1], filter: [24, 40, 3, 3], options: { padding: 1 }, bias: true, activation: 'relu', residual: true },
  { name: 'few positions: 2x2 map, batch 2', input: [2, 20, 2, 2], filter: [18, 20, 3, 3], options: { padding: 1 }, bias: false, activation: 'linear' },
  { name: 'few positions: stride 2 on a 2x2 map', input: [1, 12, 2, 2], filter: [10, 12, 3, 3], options: { stride: 2, padding: 1 }, bias: true, activation: 'relu' },
  { name: 'few positions: NaN and Inf on a 1x2 map', input: [1, 6, 1, 2], filter: [5, 6, 3, 3], options: { padding: 1 }, bias: true, activation: 'linear', special: 'nan-inf' },
];
