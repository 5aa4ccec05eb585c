import { ArgumentError, ShapeError } from '../errors.js';
import { optionKeys } from '../options.js';
import { checkShape, freezePlan, memoLookup, memoStore, positivePair, resolvePads, windowOutput, type Padding2d, type Pair, type PlanMemo } from './common.js';
import { encodingOffsets } from '../spec/encoding.js';

export interface Pool2dOptions {
  /** Window height and width. */
  window: number | Pair;
  /** Default: the window (non-overlapping). */
  stride?: number | Pair;
  /** Default 'valid'. Explicit pads may be at most half the window, as in PyTorch. */
  padding?: Padding2d;
  /** Round the output size up instead of down (PyTorch ceil_mode). Default false. */
  ceilMode?: boolean;
  /** Average pooling only: count padded cells in the divisor. Default true (PyTorch). */
  countIncludePad?: boolean;
}

/** The keys Pool2dOptions accepts (ops and layers reject any other). */
export const POOL2D_OPTION_KEYS = optionKeys<Pool2dOptions>({ window: 1, stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 });

/**
 * Pooling plan, per channel, no weights. Input and output NCHW.
 *
 * Window (oh, ow) covers input rows hs = oh * strideHeight - padTop .. hs + windowHeight - 1 (columns alike).
 * Max (PyTorch's rule, checked against PyTorch 1.13 golden data): cells outside the input are ignored.
 * The window's input cells are scanned in row-major order (rows top to bottom, each left to right); the
 * selected cell starts at the first and moves to a later cell whose value is greater (strictly) or NaN.
 * So a window holding NaNs selects its LAST NaN and outputs NaN; otherwise it selects the FIRST of equal
 * maxima (ties between equal finite or infinite values, a window of -Infinity included). The output is
 * the selected value and the gradient goes entirely to the selected cell, summed over windows.
 * Average divisor (PyTorch): he = min(hs + windowHeight, inHeight + padBottom), we alike;
 * countIncludePad ? (he - hs) * (we - ws) : cells of the window inside the input.
 */
export interface Pool2dPlan {
  readonly kind: 'pool2d';
  readonly batch: number;
  readonly channels: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly windowHeight: number;
  readonly windowWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly countIncludePad: boolean;
  readonly ceilMode: boolean;
  readonly inShape: readonly [number, number, number, number];
  readonly outShape: readonly [number, number, number, number];
  /** Fixed layout, see POOL2D_ENCODING (booleans as 0/1). Do not mutate. */
  readonly encoded: Int32Array;
}

export const POOL2D_ENCODING = encodingOffsets('pool2d');

/**
 * The last plan made for each options object, with the input shape and option values it was made from. Eager pooling
 * calls with one options object (a layer's, a model's) get the same frozen plan back while neither changed: making it
 * again cost about a third of a tiny pool call's core time (avgPool2d on 1x1x4x4, native, 1 thread: queued 5.2 µs
 * a call, raw addon 1.8). A changed value (a mutated options object or array) makes the plan afresh, errors included.
 */
const POOL2D_MEMO = new WeakMap<object, PlanMemo<Pool2dPlan>>();

export function planPool2d(inputShape: readonly number[], options: Pool2dOptions, op = 'pool2d'): Pool2dPlan {
  const hit = memoLookup(POOL2D_MEMO, options, inputShape, POOL2D_OPTION_KEYS);
  if (hit) return hit;
  const plan = makePool2dPlan(inputShape, options, op);
  memoStore(POOL2D_MEMO, options, inputShape, POOL2D_OPTION_KEYS, plan);
  return plan;
}

function makePool2dPlan(inputShape: readonly number[], options: Pool2dOptions, op: string): Pool2dPlan {
  checkShape(op, 'input', inputShape, 4, '[batch, channels, height, width]');
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(op, 'options', options, 'an object with at least a window');
  }
  const [batch, channels, inHeight, inWidth] = inputShape as [number, number, number, number];
  const [windowHeight, windowWidth] = positivePair(op, 'window', options.window as number | Pair, [0, 0]);
  const [strideHeight, strideWidth] = positivePair(op, 'stride', options.stride, [windowHeight, windowWidth]);
  const ceilMode = options.ceilMode ?? false;
  const countIncludePad = options.countIncludePad ?? true;
  if (typeof ceilMode !== 'boolean') throw new ArgumentError(op, 'ceilMode', ceilMode, 'a boolean');
  if (typeof countIncludePad !== 'boolean') throw new ArgumentError(op, 'countIncludePad', countIncludePad, 'a boolean');
  const pads = resolvePads(op, options.padding, inHeight, inWidth, windowHeight, windowWidth, strideHeight, strideWidth);
  if (options.padding !== 'same') {
    const maxH = Math.floor(windowHeight / 2);
    const maxW = Math.floor(windowWidth / 2);
    if (Math.max(pads.top, pads.bottom) > maxH || Math.max(pads.left, pads.right) > maxW) {
      throw new ArgumentError(
        op,
        'padding',
        options.padding,
        `at most half the window (${maxH} vertically, ${maxW} horizontally for window ${windowHeight}x${windowWidth})`,
      );
    }
  }
  const paddedH = inHeight + pads.top + pads.bottom;
  const paddedW = inWidth + pads.left + pads.right;
  if (windowHeight > paddedH || windowWidth > paddedW) {
    throw new ShapeError(op, 'window', [windowHeight, windowWidth], `at most the padded input ${paddedH}x${paddedW}`);
  }
  const outHeight = windowOutput(inHeight, pads.top, pads.bottom, windowHeight, strideHeight, ceilMode);
  const outWidth = windowOutput(inWidth, pads.left, pads.right, windowWidth, strideWidth, ceilMode);
  const e = POOL2D_ENCODING;
  const encoded = new Int32Array(e.length);
  const plan = {
    kind: 'pool2d' as const,
    batch,
    channels,
    inHeight,
    inWidth,
    outHeight,
    outWidth,
    windowHeight,
    windowWidth,
    strideHeight,
    strideWidth,
    padTop: pads.top,
    padBottom: pads.bottom,
    padLeft: pads.left,
    padRight: pads.right,
    countIncludePad,
    ceilMode,
    inShape: Object.freeze([batch, channels, inHeight, inWidth]) as readonly [number, number, number, number],
    outShape: Object.freeze([batch, channels, outHeight, outWidth]) as readonly [number, number, number, number],
    encoded,
  };
  for (const [key, offset] of Object.entries(e)) {
    if (key === 'length') continue;
    const v = plan[key as keyof typeof plan];
    encoded[offset] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
  }
  return freezePlan(plan);
}

/**
 * Checks the inputs of max pooling's gradient from recorded taps (MaxPool2DGradArgmax) against the forward's
 * plan: `plan` a Pool2dPlan, dy and argmax (MaxPool2DArgmax's second output) both of plan.outShape. Returns the plan.
 */
/**
 * Whether max pooling under a tape records each window's selected tap (MaxPool2DArgmax) for its gradient, rather
 * than saving x and finding the winners again (MaxPool2DGrad). Only overlapping windows (a stride below the window,
 * either axis) record them: there each input cell is a candidate of several windows, so finding the winners again
 * costs a pass over every window's taps and a scatter, while from the recorded taps the gradient reads dy and them.
 * Windows that do not overlap partition the input: the gradient from x reads each cell once and writes it once, as
 * fast as from recorded taps, and the forward stays the plain one. Native, Zen 4, 1 thread, 8x64x56x56, forward plus
 * gradient in ms: 3x3 stride 2 pad 1, recorded 0.70 (avx512) / 1.23 (avx2) against 0.97 / 1.43 from x; 2x2 stride 2,
 * recorded 0.71 / 0.81 against 0.36 / 0.37 from x.
 */
export function maxPoolRecordsArgmax(plan: Pool2dPlan): boolean {
  return plan.strideHeight < plan.windowHeight || plan.strideWidth < plan.windowWidth;
}

export function checkMaxPool2dGradArgmax(plan: Pool2dPlan, dyShape: readonly number[], argmaxShape: readonly number[], op = 'maxPool2dGradArgmax'): Pool2dPlan {
  if (plan === null || typeof plan !== 'object' || plan.kind !== 'pool2d') {
    throw new ArgumentError(op, 'plan', plan, 'a Pool2dPlan (from planPool2d)');
  }
  const want = `[${plan.outShape.join(',')}] (the output shape of the forward's plan)`;
  for (const [name, shape] of [['dy shape', dyShape], ['argmax shape', argmaxShape]] as const) {
    if (shape.length !== 4 || shape.some((d, i) => d !== plan.outShape[i])) throw new ShapeError(op, name, shape, want);
  }
  return plan;
}
