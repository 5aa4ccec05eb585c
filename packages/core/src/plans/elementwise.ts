import { ArgumentError, ShapeError } from '../errors.js';
import { freezePlan, sizeOf } from './common.js';
import { encodingOffsets } from '../spec/encoding.js';
import { SPEC_MAX_RANK } from '../spec/kernels.js';

export const MAX_RANK = SPEC_MAX_RANK;

/**
 * NumPy broadcasting of two shapes. Strides are per output axis, in elements, 0 on broadcast axes,
 * with every shape left-padded to `rank`. out[i] reads a[sum(idx_d * aStrides[d])].
 */
export interface BroadcastPlan {
  readonly kind: 'broadcast';
  readonly rank: number;
  readonly outShape: readonly number[];
  readonly aShape: readonly number[];
  readonly bShape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
  readonly size: number;
  /** True when a, b and out all have the same shape (kernels may take a flat loop). */
  readonly same: boolean;
  /** [rank, size, outShape x6, aStrides x6, bStrides x6] (unused axes 0). */
  readonly encoded: Int32Array;
}

export const BROADCAST_ENCODING = encodingOffsets('broadcast');

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function planBroadcast(op: string, aShape: readonly number[], bShape: readonly number[]): BroadcastPlan {
  const rank = Math.max(aShape.length, bShape.length);
  if (rank > MAX_RANK) throw new ShapeError(op, 'rank', rank, `at most ${MAX_RANK}`);
  const pa = [...new Array<number>(rank - aShape.length).fill(1), ...aShape];
  const pb = [...new Array<number>(rank - bShape.length).fill(1), ...bShape];
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const x = pa[d]!;
    const y = pb[d]!;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(op, 'b shape', bShape, `a shape broadcastable with a shape [${aShape.join(',')}]`, `axis ${d}: ${x} vs ${y}`);
    }
    out.push(x === 1 ? y : x);
  }
  const sa = contiguousStrides(pa).map((s, d) => (pa[d] === 1 && out[d] !== 1 ? 0 : s));
  const sb = contiguousStrides(pb).map((s, d) => (pb[d] === 1 && out[d] !== 1 ? 0 : s));
  const size = sizeOf(out);
  const e = BROADCAST_ENCODING;
  const encoded = new Int32Array(e.length);
  encoded[e.rank] = rank;
  encoded[e.size] = size;
  for (let d = 0; d < rank; d++) {
    encoded[e.outShape + d] = out[d]!;
    encoded[e.aStrides + d] = sa[d]!;
    encoded[e.bStrides + d] = sb[d]!;
  }
  const same = aShape.length === bShape.length && aShape.every((d, i) => d === bShape[i]);
  return freezePlan({
    kind: 'broadcast' as const,
    rank,
    outShape: Object.freeze(out),
    aShape: Object.freeze([...aShape]),
    bShape: Object.freeze([...bShape]),
    aStrides: Object.freeze(sa),
    bStrides: Object.freeze(sb),
    size,
    same,
    encoded,
  });
}

/**
 * x repeated along its size-1 (and missing leading) axes to `outShape`, NumPy broadcast_to rules.
 * out[i] reads x[sum(idx_d * inStrides[d])]; inStrides is 0 on repeated axes. A rank-0 output is
 * encoded as rank 1 of size 1, so kernels always see at least one axis.
 */
export interface ExpandPlan {
  readonly kind: 'expand';
  readonly rank: number;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly inStrides: readonly number[];
  readonly size: number;
  /** [rank, size, outShape x6, inStrides x6] (unused axes 0), the first 14 words of BROADCAST_ENCODING's layout. */
  readonly encoded: Int32Array;
}

export const EXPAND_ENCODING = encodingOffsets('expand');

export function planExpand(op: string, inShape: readonly number[], shape: readonly number[]): ExpandPlan {
  const dimsOk = (s: readonly number[]) => Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0);
  if (!dimsOk(inShape)) throw new ShapeError(op, 'input shape', inShape, 'every dimension a non-negative integer');
  if (!dimsOk(shape)) throw new ShapeError(op, 'shape', shape, 'every dimension a non-negative integer');
  const rank = shape.length;
  if (rank > MAX_RANK) throw new ShapeError(op, 'shape', shape, `at most ${MAX_RANK} axes`);
  if (inShape.length > rank) {
    throw new ShapeError(op, 'shape', shape, `at least the input's ${inShape.length} axes`, `input shape [${inShape.join(',')}]`);
  }
  const padded = [...new Array<number>(rank - inShape.length).fill(1), ...inShape];
  padded.forEach((d, i) => {
    if (d !== 1 && d !== shape[i]) {
      throw new ShapeError(op, 'shape', shape, `input shape [${inShape.join(',')}] to broadcast to it`, `axis ${i}: ${d} vs ${shape[i]}`);
    }
  });
  const inStrides = contiguousStrides(padded).map((s, d) => (padded[d] === 1 && shape[d] !== 1 ? 0 : s));
  const size = sizeOf(shape);
  const e = EXPAND_ENCODING;
  const encoded = new Int32Array(e.length);
  encoded[e.rank] = Math.max(rank, 1);
  encoded[e.size] = size;
  encoded[e.outShape] = 1;
  for (let d = 0; d < rank; d++) {
    encoded[e.outShape + d] = shape[d]!;
    encoded[e.inStrides + d] = inStrides[d]!;
  }
  return freezePlan({
    kind: 'expand' as const,
    rank,
    inShape: Object.freeze([...inShape]),
    outShape: Object.freeze([...shape]),
    inStrides: Object.freeze(inStrides),
    size,
    encoded,
  });
}

/**
 * A tensor seen as [outer, channels, inner]: channel axis 1 of NC, NCL or NCHW (bias add, batch norm).
 */
export interface ChannelPlan {
  readonly kind: 'channel';
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
  readonly shape: readonly number[];
  /** [outer, channels, inner] */
  readonly encoded: Int32Array;
}

export function planChannel(op: string, shape: readonly number[], channels: number, channelName = 'channels'): ChannelPlan {
  if (shape.length < 2) throw new ShapeError(op, 'input shape', shape, 'rank >= 2 with channels on axis 1');
  if (shape[1] !== channels) {
    throw new ShapeError(op, 'input channels', shape[1], `${channels} to match ${channelName}`, `input shape [${shape.join(',')}]`);
  }
  const outer = shape[0]!;
  const inner = sizeOf(shape.slice(2));
  return freezePlan({ kind: 'channel' as const, outer, channels, inner, shape: Object.freeze([...shape]), encoded: Int32Array.from([outer, channels, inner]) });
}

/**
 * The float32 factors of BatchNormTrain's running update r = r * keep + s * take (s the batch mean or
 * biased variance): keep = 1 - momentum, take = momentum for the mean and momentum * count / (count - 1)
 * for the variance (unbiased, as PyTorch). Every backend multiplies and adds in float32 with these.
 */
export function batchNormRunningFactors(plan: ChannelPlan, momentum: number): { keep: number; mean: number; variance: number } {
  const count = plan.outer * plan.inner;
  return { keep: Math.fround(1 - momentum), mean: Math.fround(momentum), variance: Math.fround((momentum * count) / (count - 1)) };
}

/** A tensor seen as rows x cols (softmax, cross-entropy over the last axis). */
export interface RowsPlan {
  readonly kind: 'rows';
  readonly rows: number;
  readonly cols: number;
  /** [rows, cols] */
  readonly encoded: Int32Array;
}

export function planRows(op: string, shape: readonly number[]): RowsPlan {
  // Rows may be zero (an empty batch); the last axis, which softmax normalises over, may not.
  if (shape.length < 1 || shape.some((d) => !Number.isInteger(d) || d < 0) || shape[shape.length - 1]! < 1) {
    throw new ShapeError(op, 'input shape', shape, 'rank >= 1 with a last dimension >= 1 (others >= 0)');
  }
  const cols = shape[shape.length - 1]!;
  const rows = sizeOf(shape.slice(0, -1));
  return freezePlan({ kind: 'rows' as const, rows, cols, encoded: Int32Array.from([rows, cols]) });
}

export function checkFinite(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(op, name, v, 'a finite number');
}
