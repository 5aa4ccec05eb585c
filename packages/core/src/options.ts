import { UnknownOptionError } from './errors.js';

/**
 * The keys an options type accepts, listed once as an object literal so that the compiler checks the
 * list against the type: a key missing from the literal or not in T does not compile.
 *
 *   const POOL2D_OPTIONS = optionKeys<Pool2dOptions>({ window: 1, stride: 1, padding: 1, ceilMode: 1, countIncludePad: 1 });
 */
export function optionKeys<T extends object>(keys: { readonly [K in keyof Required<T>]: 1 }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/**
 * Strict option objects: throws an UnknownOptionError (an ArgumentError) naming `op`, the first own key
 * of `options` that is not in `accepted`, its value and the accepted keys, so that a misspelt or foreign
 * option is never silently ignored. A missing (undefined/null) or non-object `options` is left to the
 * caller's own checks. Returns `options` for chaining.
 */
export function checkOptionKeys<T>(op: string, options: T, accepted: readonly string[]): T {
  if (options === null || typeof options !== 'object') return options;
  for (const key of Object.keys(options)) {
    if (!accepted.includes(key)) throw new UnknownOptionError(op, key, (options as Record<string, unknown>)[key], accepted);
  }
  return options;
}
