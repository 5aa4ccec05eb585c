/**
 * Every error stridenet throws on purpose is a StridenetError with a stable `code`.
 * Messages name the argument, the offending value and what was expected, and are
 * raised in core (before a kernel runs), so they are identical on every backend.
 */
export type ErrorCode =
  | 'ARGUMENT'
  | 'SHAPE'
  | 'UNSUPPORTED'
  | 'DISPOSED'
  | 'BACKEND'
  | 'FORMAT';

export class StridenetError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A scalar or option argument out of its domain: zero stride, unknown mode, ... */
export class ArgumentError extends StridenetError {
  readonly argument: string;
  readonly value: unknown;
  constructor(op: string, argument: string, value: unknown, expected: string) {
    super('ARGUMENT', `${op}: ${argument} is ${formatValue(value)} but expected ${expected}`);
    this.argument = argument;
    this.value = value;
  }
}

/**
 * An option object with a key the function does not take (a misspelt option, or one from another
 * library such as PyTorch's `dilation` on a pool): `argument` is the key, `accepted` the keys it takes.
 */
export class UnknownOptionError extends ArgumentError {
  readonly accepted: readonly string[];
  constructor(op: string, key: string, value: unknown, accepted: readonly string[]) {
    super(op, key, value, accepted.length ? `one of the options ${op} takes: ${accepted.join(', ')}` : `no options`);
    this.message = `${op}: unknown option '${key}' (value ${formatValue(value)}); ${op} takes ${accepted.length ? accepted.join(', ') : 'no options'}`;
    this.accepted = accepted;
  }
}

/** Shapes that do not fit together: wrong rank, channel mismatch, window larger than input. */
export class ShapeError extends StridenetError {
  readonly argument: string;
  readonly value: unknown;
  constructor(op: string, argument: string, value: unknown, expected: string, detail?: string) {
    super(
      'SHAPE',
      `${op}: ${argument} is ${formatValue(value)} but expected ${expected}${detail ? ` (${detail})` : ''}`,
    );
    this.argument = argument;
    this.value = value;
  }
}

/** The active backend cannot run a kernel with these options. */
export class UnsupportedError extends StridenetError {
  readonly backend: string;
  readonly kernel: string;
  constructor(backend: string, kernel: string, reason: string) {
    super('UNSUPPORTED', `backend '${backend}' cannot run kernel ${kernel}: ${reason}`);
    this.backend = backend;
    this.kernel = kernel;
  }
}

export class DisposedError extends StridenetError {
  constructor(what: string) {
    super('DISPOSED', `${what} was already disposed`);
  }
}

/** Backend set-up or runtime failure (no adapter, addon missing, device lost). */
export class BackendError extends StridenetError {
  constructor(message: string) {
    super('BACKEND', message);
  }
}

/** A file or byte stream that is not what it claims (safetensors, checkpoints, datasets). */
export class FormatError extends StridenetError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super('FORMAT', `${file}: ${problem}`);
    this.file = file;
  }
}

export function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(',')}]`;
  if (ArrayBuffer.isView(value)) return `[${Array.from(value as unknown as ArrayLike<number>).join(',')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
