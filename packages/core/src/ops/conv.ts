import { ArgumentError, ShapeError } from '../errors.js';
import { engine, Tensor } from '../engine.js';
import { record, recording, taping } from '../autograd/record.js';
import type { FusedActivation } from '../spec/index.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { CONV2D_OPTION_KEYS, planConv2d, type Conv2dOptions, type Conv2dPlan } from '../plans/conv2d.js';
import { sameValues, type Pair } from '../plans/common.js';
import { reshape } from './layout.js';

export interface Conv2dOpOptions extends Conv2dOptions {
  bias?: Tensor;
  /** Added before the activation, of the output's shape: relu(conv(x) + b + shortcut) in one kernel (ResNet). */
  residual?: Tensor;
  activation?: FusedActivation;
}

const CONV2D_OP_OPTION_KEYS = [...CONV2D_OPTION_KEYS, 'bias', 'residual', 'activation'];

export function checkActivation(op: string, activation: unknown): FusedActivation {
  const a = activation ?? 'linear';
  if (a !== 'linear' && a !== 'relu') throw new ArgumentError(op, 'activation', a, "'linear' or 'relu'");
  return a;
}

export function conv2dBackpropInput(dy: Tensor, filter: Tensor, plan: Conv2dPlan): Tensor {
  const [dx] = engine.runKernel('Conv2DBackpropInput', { dy, filter }, { plan }, [plan.inShape]);
  return dx!;
}

export function conv2dBackpropFilter(x: Tensor, dy: Tensor, plan: Conv2dPlan): Tensor {
  const [dw] = engine.runKernel('Conv2DBackpropFilter', { x, dy }, { plan }, [plan.filterShape]);
  return dw!;
}

/**
 * 2D convolution (cross-correlation as in PyTorch), NCHW input, OIHW filter, with an optional fused
 * epilogue: y = act(conv(x, filter) + bias + residual).
 */
export function conv2d(x: Tensor, filter: Tensor, options: Conv2dOpOptions = {}): Tensor {
  const plan = planConv2d(x.shape, filter.shape, checkOptionKeys('conv2d', options, CONV2D_OP_OPTION_KEYS));
  const activation = checkActivation('conv2d', options.activation);
  const { bias, residual } = options;
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== plan.outChannels)) {
    throw new ShapeError('conv2d', 'bias shape', bias.shape, `[${plan.outChannels}] (one per output channel)`);
  }
  if (residual !== undefined) {
    if (!(residual instanceof Tensor) || residual.dtype !== 'float32') {
      throw new ArgumentError('conv2d', 'residual', residual instanceof Tensor ? `a ${String(residual.dtype)} tensor` : residual, 'a float32 Tensor');
    }
    if (!sameValues(residual.shape, plan.outShape)) {
      throw new ShapeError('conv2d', 'residual shape', residual.shape, `[${plan.outShape.join(',')}] (the output shape)`);
    }
  }
  // A call no tape records is inference: the backend may take algorithms that round differently (Winograd).
  // Without an active tape neither recording() nor record() is called: their argument arrays and the attrs spread
  // were allocations of every eager convolution (s44).
  const recorded = taping() && recording([x, filter, bias, residual]);
  const [y] = engine.runKernel('Conv2D', { x, filter, bias, residual }, recorded ? { plan, activation } : { plan, activation, noGrad: true }, [plan.outShape]);
  if (recorded) record('Conv2D', [y!], [x, filter, bias, residual], { plan, activation });
  return y!;
}

export interface Conv1dOptions {
  stride?: number;
  /** 'valid', 'same', one number for both ends, or [left, right]. */
  padding?: 'valid' | 'same' | number | readonly [number, number];
  dilation?: number;
  groups?: number;
  bias?: Tensor;
  activation?: FusedActivation;
}

export const CONV1D_OPTION_KEYS = optionKeys<Conv1dOptions>({ stride: 1, padding: 1, dilation: 1, groups: 1, bias: 1, activation: 1 });

/** Maps 1D padding to the 2D [top, bottom, left, right] form with H = 1. */
export function padding1dTo2d(op: string, p: Conv1dOptions['padding']): Conv2dOptions['padding'] {
  if (p === undefined || p === 'valid' || p === 'same') return p;
  if (typeof p === 'number') return [0, 0, p, p];
  if (Array.isArray(p) && p.length === 2) return [0, 0, p[0], p[1]];
  throw new ArgumentError(op, 'padding', p, "'valid', 'same', a non-negative integer or [left, right]");
}

function scalarOption(op: string, name: string, v: number | undefined): Pair | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new ArgumentError(op, name, v, 'a positive integer');
  return [1, v];
}

/** 1D convolution [N, C, L] with filter [O, C/groups, K], run through the 2D kernels with H = 1. */
export function conv1d(x: Tensor, filter: Tensor, options: Conv1dOptions = {}): Tensor {
  if (x.rank !== 3) throw new ShapeError('conv1d', 'input shape', x.shape, 'rank 3 [batch, channels, length]');
  checkOptionKeys('conv1d', options, CONV1D_OPTION_KEYS);
  if (filter.rank !== 3) throw new ShapeError('conv1d', 'filter shape', filter.shape, 'rank 3 [outChannels, inChannels/groups, kernel]');
  const plan2d = planConv2d([x.shape[0]!, x.shape[1]!, 1, x.shape[2]!], [filter.shape[0]!, filter.shape[1]!, 1, filter.shape[2]!], {
    stride: scalarOption('conv1d', 'stride', options.stride),
    dilation: scalarOption('conv1d', 'dilation', options.dilation),
    padding: padding1dTo2d('conv1d', options.padding),
    groups: options.groups,
  });
  const x4 = reshape(x, plan2d.inShape);
  const f4 = reshape(filter, plan2d.filterShape);
  const y4 = conv2d(x4, f4, {
    stride: [plan2d.strideHeight, plan2d.strideWidth],
    dilation: [plan2d.dilationHeight, plan2d.dilationWidth],
    padding: [plan2d.padTop, plan2d.padBottom, plan2d.padLeft, plan2d.padRight],
    groups: plan2d.groups,
    bias: options.bias,
    activation: options.activation,
  });
  const y = reshape(y4, [plan2d.batch, plan2d.outChannels, plan2d.outWidth]);
  for (const t of [x4, f4, y4]) t.dispose();
  return y;
}

