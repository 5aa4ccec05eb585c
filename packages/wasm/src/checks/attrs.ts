/**
 * Attribute checks shared by the kernel files: every number a kernel hands to assembly is checked
 * here first, with errors naming the kernel, the attribute, its value and what was expected.
 */
import { ArgumentError, type FusedActivation } from '@stridenet/core';

/** Floats in the 2 GiB wasm32 linear memory: no buffer, plan size or offset may go past it. */
export const MAX_FLOATS = 2 ** 29;

export const opName = (kernel: string): string => `wasm ${kernel}`;

/**
 * A value as an error message shows it: primitives as they are, objects described in a few words
 * (never serialised, so a large or circular object cannot blow up the message).
 */
export function brief(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'string' && v.length > 40 ? `${v.slice(0, 40)}...` : v;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `an object (${Object.prototype.toString.call(v)})`;
}

/** The attrs argument itself: a plain object. */
export function attrsObject<T>(kernel: string, attrs: T): T {
  if (attrs === null || typeof attrs !== 'object') throw new ArgumentError(opName(kernel), 'attrs', brief(attrs), 'an object');
  return attrs;
}

/** A buffer length: an integer in [0, MAX_FLOATS]. */
export function checkCount(kernel: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_FLOATS) {
    throw new ArgumentError(opName(kernel), name, brief(v), `an integer from 0 to ${MAX_FLOATS} (floats that fit the wasm32 memory)`);
  }
  return v;
}

/** attrs.size of the flat kernels (Unary, Dropout, optimizers). */
export function checkSize(kernel: string, attrs: { size: number }): number {
  return checkCount(kernel, 'attrs.size', attrsObject(kernel, attrs).size);
}

/** A finite number, optionally at least `min` (and below `below`). */
export function checkFiniteAttr(kernel: string, name: string, v: unknown, min = -Infinity, below = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v >= below) {
    const range = min === -Infinity && below === Infinity ? 'a finite number' : below === Infinity ? `a finite number >= ${min}` : `a number in [${min}, ${below})`;
    throw new ArgumentError(opName(kernel), `attrs.${name}`, brief(v), range);
  }
  return v;
}

/** Any number, NaN and infinities included (fill values). */
export function checkNumberAttr(kernel: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new ArgumentError(opName(kernel), `attrs.${name}`, brief(v), 'a number');
  return v;
}

export function checkBoolAttr(kernel: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(opName(kernel), `attrs.${name}`, brief(v), 'true or false');
  return v;
}

/** Fused activation flag for assembly: 1 for relu, 0 for linear (undefined reads as linear). */
export function activationFlag(kernel: string, v: FusedActivation | undefined): number {
  if (v === undefined || v === 'linear') return 0;
  if (v === 'relu') return 1;
  throw new ArgumentError(opName(kernel), 'attrs.activation', brief(v), "'linear' or 'relu'");
}

/** An op name looked up in a code table (Binary, Unary, Reduce). */
export function opCode<K extends string>(kernel: string, table: Readonly<Record<K, number>>, v: K): number {
  const code = Object.prototype.hasOwnProperty.call(table, v) ? table[v] : undefined;
  if (code === undefined) throw new ArgumentError(opName(kernel), 'attrs.op', brief(v), `one of ${Object.keys(table).join(', ')}`);
  return code;
}
