import { ArgumentError, ShapeError } from '../errors.js';
import { optionKeys } from '../options.js';
import {
  checkShape,
  freezePlan,
  isPositiveInt,
  memoLookup,
  memoStore,
  positivePair,
  resolvePads,
  windowOutput,
  type Padding2d,
  type Pair,
  type PlanMemo,
} from './common.js';
import { encodingOffsets } from '../spec/encoding.js';

export interface Conv2dOptions {
  /** Default 1. */
  stride?: number | Pair;
  /** Default 'valid'. */
  padding?: Padding2d;
  /** Default 1. */
  dilation?: number | Pair;
  /** Default 1. Depthwise is groups = input channels. */
  groups?: number;
}

/** The keys Conv2dOptions accepts. */
export const CONV2D_OPTION_KEYS = optionKeys<Conv2dOptions>({ stride: 1, padding: 1, dilation: 1, groups: 1 });

/**
 * Everything a conv kernel needs, computed once in core. Input NCHW [batch, inChannels, inHeight, inWidth],
 * filter OIHW [outChannels, inChannels / groups, kernelHeight, kernelWidth], output NCHW
 * [batch, outChannels, outHeight, outWidth]. Input row ih of output row oh and kernel row kh is
 * oh * strideHeight - padTop + kh * dilationHeight (columns alike); rows outside [0, inHeight) read zero.
 */
export interface Conv2dPlan {
  readonly kind: 'conv2d';
  readonly batch: number;
  readonly inChannels: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly groups: number;
  readonly inShape: readonly [number, number, number, number];
  readonly filterShape: readonly [number, number, number, number];
  readonly outShape: readonly [number, number, number, number];
  /** Fixed layout, see CONV2D_ENCODING. Do not mutate. */
  readonly encoded: Int32Array;
}

/** Offsets of the Int32Array plan encoding read by wasm, native and WGSL. */
export const CONV2D_ENCODING = encodingOffsets('conv2d');

/**
 * The last plan made for each filter shape, with the input shape and option values it was made from. The key is the
 * filter tensor's frozen shape array: a Conv2D layer's weight (and eager inference's folded weight) keeps that one
 * array from pass to pass, while the options object is new on every call. A frozen array cannot change, so the same
 * key is the same filter shape; the input shape and every option value are compared again (arrays element by
 * element), and only plans that were made are kept, so errors are thrown on every call as before. Making the plan
 * afresh each call was ~9% of LeNet-5 b2 eager inference's CPU (native avx2, 1 thread, node --cpu-prof, s44).
 */
const CONV2D_MEMO = new WeakMap<object, PlanMemo<Conv2dPlan>>();

export function planConv2d(
  inputShape: readonly number[],
  filterShape: readonly number[],
  options: Conv2dOptions = {},
): Conv2dPlan {
  const key = Array.isArray(filterShape) && Object.isFrozen(filterShape) ? filterShape : undefined;
  if (key === undefined) return makeConv2dPlan(inputShape, filterShape, options);
  const hit = memoLookup(CONV2D_MEMO, options, inputShape, CONV2D_OPTION_KEYS, key);
  if (hit) return hit;
  const plan = makeConv2dPlan(inputShape, filterShape, options);
  memoStore(CONV2D_MEMO, options, inputShape, CONV2D_OPTION_KEYS, plan, key);
  return plan;
}

function makeConv2dPlan(inputShape: readonly number[], filterShape: readonly number[], options: Conv2dOptions): Conv2dPlan {
  const op = 'conv2d';
  checkShape(op, 'input', inputShape, 4, '[batch, channels, height, width]');
  checkShape(op, 'filter', filterShape, 4, '[outChannels, inChannels/groups, kernelHeight, kernelWidth]');
  const [batch, inChannels, inHeight, inWidth] = inputShape as [number, number, number, number];
  const [outChannels, filterIn, kernelHeight, kernelWidth] = filterShape as [number, number, number, number];
  const [strideHeight, strideWidth] = positivePair(op, 'stride', options.stride, [1, 1]);
  const [dilationHeight, dilationWidth] = positivePair(op, 'dilation', options.dilation, [1, 1]);
  const groups = options.groups ?? 1;
  if (!isPositiveInt(groups)) throw new ArgumentError(op, 'groups', groups, 'a positive integer');
  if (inChannels % groups !== 0) {
    throw new ArgumentError(op, 'groups', groups, `a divisor of the input's ${inChannels} channels`);
  }
  if (outChannels % groups !== 0) {
    throw new ArgumentError(op, 'groups', groups, `a divisor of the filter's ${outChannels} output channels`);
  }
  if (filterIn * groups !== inChannels) {
    throw new ShapeError(
      op,
      'input channels',
      inChannels,
      `${filterIn * groups} as the filter expects`,
      `filter shape [${filterShape.join(',')}], groups ${groups}`,
    );
  }
  const effH = (kernelHeight - 1) * dilationHeight + 1;
  const effW = (kernelWidth - 1) * dilationWidth + 1;
  const pads = resolvePads(op, options.padding, inHeight, inWidth, effH, effW, strideHeight, strideWidth);
  const paddedH = inHeight + pads.top + pads.bottom;
  const paddedW = inWidth + pads.left + pads.right;
  if (effH > paddedH || effW > paddedW) {
    throw new ShapeError(
      op,
      'filter window',
      [effH, effW],
      `at most the padded input ${paddedH}x${paddedW}`,
      `kernel ${kernelHeight}x${kernelWidth}, dilation ${dilationHeight}x${dilationWidth}`,
    );
  }
  const outHeight = windowOutput(inHeight, pads.top, pads.bottom, effH, strideHeight, false);
  const outWidth = windowOutput(inWidth, pads.left, pads.right, effW, strideWidth, false);
  const e = CONV2D_ENCODING;
  const encoded = new Int32Array(e.length);
  const plan = {
    kind: 'conv2d' as const,
    batch,
    inChannels,
    inHeight,
    inWidth,
    outChannels,
    outHeight,
    outWidth,
    kernelHeight,
    kernelWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padTop: pads.top,
    padBottom: pads.bottom,
    padLeft: pads.left,
    padRight: pads.right,
    groups,
    inShape: Object.freeze([batch, inChannels, inHeight, inWidth]) as readonly [number, number, number, number],
    filterShape: Object.freeze([outChannels, filterIn, kernelHeight, kernelWidth]) as readonly [number, number, number, number],
    outShape: Object.freeze([batch, outChannels, outHeight, outWidth]) as readonly [number, number, number, number],
    encoded,
  };
  for (const [key, offset] of Object.entries(e)) {
    if (key !== 'length') encoded[offset] = plan[key as keyof typeof plan] as number;
  }
  return freezePlan(plan);
}

/** Number of multiply-adds of one forward pass (for GFLOP/s figures: 2 * macs). */
export function conv2dMacs(plan: Conv2dPlan): number {
  return (
    plan.batch * plan.outChannels * plan.outHeight * plan.outWidth * (plan.inChannels / plan.groups) * plan.kernelHeight * plan.kernelWidth
  );
}
