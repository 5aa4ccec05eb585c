import { ArgumentError } from '../../errors.js';
import type { BuildOptions } from '../model.js';
import { checkOptionKeys, optionKeys } from '../../options.js';

/** Options every zoo model takes. */
export interface ZooOptions extends BuildOptions {
  /** Output width (classes). */
  numClasses?: number;
  /** Shape of one example, batch axis excluded. */
  inputShape?: readonly number[];
}

const ZOO_OPTION_KEYS = optionKeys<ZooOptions>({ name: 1, seed: 1, rng: 1, numClasses: 1, inputShape: 1 });

/** Strict zoo options: the keys every zoo model takes plus the model's own `extra` ones; others throw. */
export function checkZooOptions(model: string, options: ZooOptions, extra: readonly string[] = []): void {
  checkOptionKeys(model, options, [...ZOO_OPTION_KEYS, ...extra]);
}

export function classes(model: string, options: ZooOptions, fallback: number): number {
  const n = options.numClasses ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(model, 'numClasses', n, 'a positive integer');
  return n;
}

export function imageShape(model: string, options: ZooOptions, fallback: readonly number[], channels?: number): readonly number[] {
  const s = options.inputShape ?? fallback;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ArgumentError(model, 'inputShape', s, '[channels, height, width] of positive integers');
  }
  if (channels !== undefined && s[0] !== channels) {
    throw new ArgumentError(model, 'inputShape', s, `${channels} input channels`);
  }
  return s;
}

export function rate(model: string, name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ArgumentError(model, name, v, 'a number in [0, 1)');
  return v;
}
