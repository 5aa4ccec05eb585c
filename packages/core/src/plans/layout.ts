import { ArgumentError, ShapeError } from '../errors.js';
import { freezePlan, sizeOf } from './common.js';
import { MAX_RANK } from './elementwise.js';

function checkRank(op: string, shape: readonly number[]): void {
  if (shape.length < 1 || shape.length > MAX_RANK) throw new ShapeError(op, 'input rank', shape.length, `1 to ${MAX_RANK}`);
}

function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ArgumentError(op, 'axis', axis, `an integer in [${-rank}, ${rank - 1}]`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** out[j0..jr] = in[...] with out axis d = in axis perm[d]. */
export interface TransposePlan {
  readonly kind: 'transpose';
  readonly rank: number;
  readonly inShape: readonly number[];
  readonly perm: readonly number[];
  readonly outShape: readonly number[];
  /** [rank, inShape x6, perm x6] */
  readonly encoded: Int32Array;
}

export function planTranspose(inShape: readonly number[], perm: readonly number[]): TransposePlan {
  const op = 'transpose';
  checkRank(op, inShape);
  const rank = inShape.length;
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || !sorted.every((p, i) => p === i)) {
    throw new ArgumentError(op, 'perm', perm, `a permutation of 0..${rank - 1}`);
  }
  const encoded = new Int32Array(1 + 2 * MAX_RANK);
  encoded[0] = rank;
  inShape.forEach((d, i) => (encoded[1 + i] = d));
  perm.forEach((p, i) => (encoded[1 + MAX_RANK + i] = p));
  return freezePlan({
    kind: 'transpose' as const,
    rank,
    inShape: Object.freeze([...inShape]),
    perm: Object.freeze([...perm]),
    outShape: Object.freeze(perm.map((p) => inShape[p]!)),
    encoded,
  });
}

/** out = in[begin[d] .. begin[d] + size[d]) on every axis. */
export interface SlicePlan {
  readonly kind: 'slice';
  readonly rank: number;
  readonly inShape: readonly number[];
  readonly begin: readonly number[];
  readonly outShape: readonly number[];
  /** [rank, inShape x6, begin x6, outShape x6] */
  readonly encoded: Int32Array;
}

export function planSlice(inShape: readonly number[], begin: readonly number[], size: readonly number[]): SlicePlan {
  const op = 'slice';
  checkRank(op, inShape);
  const rank = inShape.length;
  if (begin.length !== rank) throw new ArgumentError(op, 'begin', begin, `${rank} entries, one per axis`);
  if (size.length !== rank) throw new ArgumentError(op, 'size', size, `${rank} entries, one per axis`);
  const out = size.map((s, d) => (s === -1 ? inShape[d]! - begin[d]! : s));
  for (let d = 0; d < rank; d++) {
    if (!Number.isInteger(begin[d]) || begin[d]! < 0 || begin[d]! >= inShape[d]!) {
      throw new ArgumentError(op, `begin[${d}]`, begin[d], `an integer in [0, ${inShape[d]! - 1}]`);
    }
    if (!Number.isInteger(out[d]) || out[d]! < 1 || begin[d]! + out[d]! > inShape[d]!) {
      throw new ArgumentError(op, `size[${d}]`, size[d], `1 to ${inShape[d]! - begin[d]!} (or -1 for the rest)`);
    }
  }
  const encoded = new Int32Array(1 + 3 * MAX_RANK);
  encoded[0] = rank;
  for (let d = 0; d < rank; d++) {
    encoded[1 + d] = inShape[d]!;
    encoded[1 + MAX_RANK + d] = begin[d]!;
    encoded[1 + 2 * MAX_RANK + d] = out[d]!;
  }
  return freezePlan({ kind: 'slice' as const, rank, inShape: Object.freeze([...inShape]), begin: Object.freeze([...begin]), outShape: Object.freeze(out), encoded });
}

/** Constant padding: out axis d has before[d] + in[d] + after[d] cells; pad cells hold `value`. */
export interface PadPlan {
  readonly kind: 'pad';
  readonly rank: number;
  readonly inShape: readonly number[];
  readonly before: readonly number[];
  readonly after: readonly number[];
  readonly outShape: readonly number[];
  /** [rank, inShape x6, before x6, after x6] */
  readonly encoded: Int32Array;
}

export function planPad(inShape: readonly number[], paddings: readonly (readonly [number, number])[]): PadPlan {
  const op = 'pad';
  checkRank(op, inShape);
  const rank = inShape.length;
  if (paddings.length !== rank) throw new ArgumentError(op, 'paddings', paddings, `${rank} [before, after] pairs`);
  const before = paddings.map((p) => p[0]);
  const after = paddings.map((p) => p[1]);
  for (let d = 0; d < rank; d++) {
    if (!Number.isInteger(before[d]) || before[d]! < 0 || !Number.isInteger(after[d]) || after[d]! < 0) {
      throw new ArgumentError(op, `paddings[${d}]`, paddings[d], 'two non-negative integers');
    }
  }
  const encoded = new Int32Array(1 + 3 * MAX_RANK);
  encoded[0] = rank;
  for (let d = 0; d < rank; d++) {
    encoded[1 + d] = inShape[d]!;
    encoded[1 + MAX_RANK + d] = before[d]!;
    encoded[1 + 2 * MAX_RANK + d] = after[d]!;
  }
  return freezePlan({
    kind: 'pad' as const,
    rank,
    inShape: Object.freeze([...inShape]),
    before: Object.freeze(before),
    after: Object.freeze(after),
    outShape: Object.freeze(inShape.map((d, i) => d + before[i]! + after[i]!)),
    encoded,
  });
}

/**
 * Concatenation along an axis, seen as [outer, sum(axisSizes) * inner]: input i contributes a block of
 * blockSizes[i] = axisSizes[i] * inner contiguous values per outer index.
 */
export interface ConcatPlan {
  readonly kind: 'concat';
  readonly axis: number;
  readonly outer: number;
  readonly inner: number;
  readonly blockSizes: readonly number[];
  readonly outShape: readonly number[];
  /** [outer, count, blockSizes...] */
  readonly encoded: Int32Array;
}

export function planConcat(shapes: readonly (readonly number[])[], axis: number): ConcatPlan {
  const op = 'concat';
  if (shapes.length < 1) throw new ArgumentError(op, 'tensors', shapes.length, 'at least one tensor');
  const first = shapes[0]!;
  checkRank(op, first);
  const ax = normAxis(op, axis, first.length);
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.some((d, j) => j !== ax && d !== first[j])) {
      throw new ShapeError(op, `tensors[${i}] shape`, s, `[${first.map((d, j) => (j === ax ? '*' : d)).join(',')}] (equal except on axis ${ax})`);
    }
  });
  const outer = sizeOf(first.slice(0, ax));
  const inner = sizeOf(first.slice(ax + 1));
  const blockSizes = shapes.map((s) => s[ax]! * inner);
  const outShape = [...first];
  outShape[ax] = shapes.reduce((acc, s) => acc + s[ax]!, 0);
  return freezePlan({
    kind: 'concat' as const,
    axis: ax,
    outer,
    inner,
    blockSizes: Object.freeze(blockSizes),
    outShape: Object.freeze(outShape),
    encoded: Int32Array.from([outer, blockSizes.length, ...blockSizes]),
  });
}

/**
 * Reduction over a contiguous run of axes, seen as [outer, reduce, inner] -> [outer, inner].
 * Core transposes first when the axes are not contiguous.
 */
export interface ReducePlan {
  readonly kind: 'reduce';
  readonly outer: number;
  readonly reduce: number;
  readonly inner: number;
  /** [outer, reduce, inner] */
  readonly encoded: Int32Array;
}

export function planReduce(outer: number, reduce: number, inner: number): ReducePlan {
  for (const [n, v] of [['outer', outer], ['reduce', reduce], ['inner', inner]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError('reduce', n, v, 'a non-negative integer');
  }
  return freezePlan({ kind: 'reduce' as const, outer, reduce, inner, encoded: Int32Array.from([outer, reduce, inner]) });
}

export { normAxis };
