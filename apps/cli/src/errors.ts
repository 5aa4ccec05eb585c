/** Exit codes: 0 ok, 1 runtime failure, 2 usage error (bad flags, names, config), 130 interrupted. */
export const EXIT = Object.freeze({ ok: 0, runtime: 1, usage: 2, interrupted: 130 });

/** A mistake in what the user asked for: unknown name, bad flag value, unreadable config. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function unknownName(kind: string, input: string, valid: readonly string[], hint = ''): UsageError {
  return new UsageError(`unknown ${kind} '${input}'. Valid ${kind}s: ${valid.join(', ')}.${hint ? ` ${hint}` : ''}`);
}
