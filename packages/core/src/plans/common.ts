import { ArgumentError, ShapeError } from '../errors.js';

export type Pair = readonly [number, number];
/** 'valid', 'same', one number for every side, [vertical, horizontal], or [top, bottom, left, right]. */
export type Padding2d =
  | 'valid'
  | 'same'
  | number
  | readonly [number, number]
  | readonly [number, number, number, number];

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

export function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Reads a number-or-pair option and checks each entry is a positive integer. */
export function positivePair(op: string, name: string, value: number | Pair | undefined, fallback: Pair): Pair {
  const pair: Pair =
    value === undefined ? fallback : typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(isPositiveInt)) {
    throw new ArgumentError(op, name, value, 'a positive integer or a pair of positive integers');
  }
  return [pair[0], pair[1]];
}

export function checkShape(op: string, name: string, shape: readonly number[], rank: number, layout: string): void {
  if (!Array.isArray(shape) || shape.length !== rank || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(op, `${name} shape`, shape, `rank ${rank} ${layout}`);
  }
  // An empty batch gives an empty result (PyTorch); a zero channel or spatial size stays an error.
  if (shape.slice(1).some((d) => d === 0)) {
    throw new ShapeError(op, `${name} shape`, shape, `every dimension but the batch >= 1 ${layout}`, 'got a zero-sized dimension');
  }
}

/**
 * Resolves the padding option to explicit pads. 'same' follows TensorFlow: the output is
 * ceil(in / stride) and any odd total goes to the bottom/right.
 */
export function resolvePads(
  op: string,
  padding: Padding2d | undefined,
  inH: number,
  inW: number,
  effH: number,
  effW: number,
  strideH: number,
  strideW: number,
): Pads {
  const p = padding ?? 'valid';
  if (p === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (p === 'same') {
    const outH = Math.ceil(inH / strideH);
    const outW = Math.ceil(inW / strideW);
    const totalH = Math.max((outH - 1) * strideH + effH - inH, 0);
    const totalW = Math.max((outW - 1) * strideW + effW - inW, 0);
    const top = Math.floor(totalH / 2);
    const left = Math.floor(totalW / 2);
    return { top, bottom: totalH - top, left, right: totalW - left };
  }
  if (typeof p === 'number') {
    if (!isNonNegativeInt(p)) throw new ArgumentError(op, 'padding', p, "'valid', 'same' or non-negative integers");
    return { top: p, bottom: p, left: p, right: p };
  }
  if (Array.isArray(p) && p.every(isNonNegativeInt)) {
    if (p.length === 2) return { top: p[0], bottom: p[0], left: p[1], right: p[1] };
    if (p.length === 4) return { top: p[0], bottom: p[1], left: p[2], right: p[3] };
  }
  throw new ArgumentError(
    op,
    'padding',
    p,
    "'valid', 'same', a non-negative integer, [vertical, horizontal] or [top, bottom, left, right]",
  );
}

/** Output length of a sliding window; `ceil` follows PyTorch (the last window must start inside the input or left pad). */
export function windowOutput(inLen: number, padBefore: number, padAfter: number, eff: number, stride: number, ceil: boolean): number {
  const span = inLen + padBefore + padAfter - eff;
  if (span < 0) return 0;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= inLen + padBefore) out -= 1;
  return out;
}

/** Freezes a plan object; its Int32Array encoding is read-only by contract. */
export function freezePlan<T extends object>(plan: T): Readonly<T> {
  return Object.freeze(plan);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A plan memo's entry: the input shape and option values (arrays copied) a plan was made from. */
export interface PlanMemo<P> {
  readonly shape: readonly number[];
  readonly values: readonly unknown[];
  readonly plan: P;
}

/** An option value as the memo keeps it: arrays copied, so a later change to the caller's array is seen. */
function memoValue(v: unknown): unknown {
  return Array.isArray(v) ? v.slice() : v;
}

/** Whether two arrays hold the same values in order (shapes, option pairs); no array built. */
export function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameMemoValue(kept: unknown, v: unknown): boolean {
  if (!Array.isArray(kept)) return kept === v;
  return Array.isArray(v) && sameValues(kept, v);
}

/**
 * The plan memoized for `options` (an object) if it was made from the same input shape (an array of the same
 * numbers) and the same option values (`keys`, read again now); undefined otherwise. `key` (default: the options
 * object) is what the memo is kept under: planConv2d keys it by the frozen filter shape, which a layer's weight
 * tensor keeps from pass to pass while its options object is new on every call.
 */
export function memoLookup<P>(
  memo: WeakMap<object, PlanMemo<P>>,
  options: unknown,
  shape: readonly number[],
  keys: readonly string[],
  key: object = options as object,
): P | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const m = memo.get(key);
  if (m === undefined || !Array.isArray(shape) || !sameValues(shape, m.shape)) return undefined;
  for (let i = 0; i < keys.length; i++) if (!sameMemoValue(m.values[i], (options as Record<string, unknown>)[keys[i]!])) return undefined;
  return m.plan;
}

/** Memoizes a plan made from `shape` and `options` (see memoLookup); only plans that were made, never errors. */
export function memoStore<P>(
  memo: WeakMap<object, PlanMemo<P>>,
  options: unknown,
  shape: readonly number[],
  keys: readonly string[],
  plan: P,
  key: object = options as object,
): void {
  if (options === null || typeof options !== 'object') return;
  memo.set(key, { shape: shape.slice(), values: keys.map((k) => memoValue((options as Record<string, unknown>)[k])), plan });
}
