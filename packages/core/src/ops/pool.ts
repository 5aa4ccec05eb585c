import { ArgumentError, ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record, recording, taping } from '../autograd/record.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { checkMaxPool2dGradArgmax, maxPoolRecordsArgmax, planPool2d, POOL2D_OPTION_KEYS, type Pool2dOptions, type Pool2dPlan } from '../plans/pool2d.js';
import { reshape } from './layout.js';
import { padding1dTo2d } from './conv.js';

export function maxPool2dGrad(dy: Tensor, x: Tensor, plan: Pool2dPlan): Tensor {
  const [dx] = engine.runKernel('MaxPool2DGrad', { dy, x }, { plan }, [plan.inShape]);
  return dx!;
}

/**
 * Max pooling's gradient from the taps MaxPool2DArgmax recorded in the forward (`argmax`, of the output's shape):
 * dy goes to the cell each window selected, no pass over x. Equal to maxPool2dGrad(dy, x, plan).
 */
export function maxPool2dGradArgmax(dy: Tensor, argmax: Tensor, plan: Pool2dPlan): Tensor {
  checkMaxPool2dGradArgmax(plan, dy.shape, argmax.shape);
  const [dx] = engine.runKernel('MaxPool2DGradArgmax', { dy, argmax }, { plan }, [plan.inShape]);
  return dx!;
}

export function avgPool2dGrad(dy: Tensor, plan: Pool2dPlan): Tensor {
  const [dx] = engine.runKernel('AvgPool2DGrad', { dy }, { plan }, [plan.inShape]);
  return dx!;
}

/**
 * Max pooling per channel (NCHW); NaN propagates; ceil mode and explicit/same padding as in the plan. Under a tape,
 * overlapping windows record each window's selected tap and the tape keeps those (output-sized) instead of x, so the
 * backward only routes dy (MaxPool2DGradArgmax), as PyTorch's indices do; windows that do not overlap save x, and the
 * backward finds the winners again (MaxPool2DGrad) in one pass (maxPoolRecordsArgmax says why).
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const plan = planPool2d(x.shape, checkOptionKeys('maxPool2d', options, POOL2D_OPTION_KEYS), 'maxPool2d');
  if (taping() && recording([x]) && maxPoolRecordsArgmax(plan)) {
    const { y, argmax } = maxPool2dArgmax(x, options);
    argmax.dispose();
    return y;
  }
  const [y] = engine.runKernel('MaxPool2D', { x }, { plan }, [plan.outShape]);
  if (taping()) record('MaxPool2D', [y!], [x], { plan });
  return y!;
}

/**
 * Max pooling that also returns each window's selected tap (PyTorch's return_indices, as a place in the window):
 * argmax [N, C, outHeight, outWidth] holds kh * windowWidth + kw of the window cell y came from (its last NaN, else
 * its first maximum). maxPool2dGradArgmax(dy, argmax, plan) routes a gradient by them. Differentiable in x (through y).
 */
export function maxPool2dArgmax(x: Tensor, options: Pool2dOptions): { y: Tensor; argmax: Tensor } {
  const plan = planPool2d(x.shape, checkOptionKeys('maxPool2d', options, POOL2D_OPTION_KEYS), 'maxPool2d');
  const [y, argmax] = engine.runKernel('MaxPool2DArgmax', { x }, { plan }, [plan.outShape, plan.outShape]);
  record('MaxPool2DArgmax', [y!, argmax!], [x], { plan });
  return { y: y!, argmax: argmax! };
}

/** Average pooling per channel (NCHW), with or without padded cells in the divisor. */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const plan = planPool2d(x.shape, checkOptionKeys('avgPool2d', options, POOL2D_OPTION_KEYS), 'avgPool2d');
  const [y] = engine.runKernel('AvgPool2D', { x }, { plan }, [plan.outShape]);
  if (taping()) record('AvgPool2D', [y!], [x], { plan });
  return y!;
}

export interface Pool1dOptions {
  window: number;
  stride?: number;
  padding?: 'valid' | 'same' | number | readonly [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

export const POOL1D_OPTION_KEYS = optionKeys<Pool1dOptions>({ window: 1, stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 });

function pool1d(kind: 'maxPool1d' | 'avgPool1d', x: Tensor, options: Pool1dOptions): Tensor {
  if (x.rank !== 3) throw new ShapeError(kind, 'input shape', x.shape, 'rank 3 [batch, channels, length]');
  if (options === null || typeof options !== 'object') throw new ArgumentError(kind, 'options', options, 'an object with a window');
  checkOptionKeys(kind, options, POOL1D_OPTION_KEYS);
  const opts: Pool2dOptions = {
    window: [1, options.window],
    stride: options.stride === undefined ? undefined : [1, options.stride],
    padding: padding1dTo2d(kind, options.padding),
    ceilMode: options.ceilMode,
    countIncludePad: options.countIncludePad,
  };
  const x4 = reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]);
  const y4 = kind === 'maxPool1d' ? maxPool2d(x4, opts) : avgPool2d(x4, opts);
  const y = reshape(y4, [y4.shape[0]!, y4.shape[1]!, y4.shape[3]!]);
  x4.dispose();
  y4.dispose();
  return y;
}

/** 1D max pooling [N, C, L] through the 2D kernel with H = 1. */
export const maxPool1d = (x: Tensor, options: Pool1dOptions): Tensor => pool1d('maxPool1d', x, options);
/** 1D average pooling [N, C, L] through the 2D kernel with H = 1. */
export const avgPool1d = (x: Tensor, options: Pool1dOptions): Tensor => pool1d('avgPool1d', x, options);

/**
 * One frozen options object per window size [h, w]: planPool2d memoizes by options object, and a new one per call
 * made every global pooling's plan afresh and stored it again (ResNet-20 b1 eager: makePool2dPlan and memoStore in
 * node --cpu-prof, s44). A few entries: one per map size a program pools globally.
 */
const GLOBAL_POOL_OPTIONS = new Map<number, Map<number, Pool2dOptions>>();

function globalPoolOptions(h: number, w: number): Pool2dOptions {
  let byWidth = GLOBAL_POOL_OPTIONS.get(h);
  if (byWidth === undefined) GLOBAL_POOL_OPTIONS.set(h, (byWidth = new Map()));
  let o = byWidth.get(w);
  if (o === undefined) byWidth.set(w, (o = Object.freeze({ window: Object.freeze([h, w]) as readonly [number, number] }) as Pool2dOptions));
  return o;
}

function globalPool(kind: string, x: Tensor, rank: number, max: boolean): Tensor {
  if (x.rank !== rank) throw new ShapeError(kind, 'input shape', x.shape, rank === 4 ? 'rank 4 [batch, channels, height, width]' : 'rank 3 [batch, channels, length]');
  const x4 = rank === 4 ? x : reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]);
  const opts = globalPoolOptions(x4.shape[2]!, x4.shape[3]!);
  const y4 = max ? maxPool2d(x4, opts) : avgPool2d(x4, opts);
  const y = reshape(y4, [x.shape[0]!, x.shape[1]!]);
  if (x4 !== x) x4.dispose();
  y4.dispose();
  return y;
}

/** Mean over H and W: [N, C, H, W] -> [N, C]. */
export const globalAvgPool2d = (x: Tensor): Tensor => globalPool('globalAvgPool2d', x, 4, false);
/** Max over H and W: [N, C, H, W] -> [N, C]. */
export const globalMaxPool2d = (x: Tensor): Tensor => globalPool('globalMaxPool2d', x, 4, true);
export const globalAvgPool1d = (x: Tensor): Tensor => globalPool('globalAvgPool1d', x, 3, false);
export const globalMaxPool1d = (x: Tensor): Tensor => globalPool('globalMaxPool1d', x, 3, true);
