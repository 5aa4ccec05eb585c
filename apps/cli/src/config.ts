import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.js';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;
export const AUGMENTATIONS = ['flip', 'crop', 'translate', 'elastic'] as const;

/** Everything `stridenet train` needs; written to the run directory as config.json. */
export interface TrainConfig {
  model: string;
  dataset: string;
  backend: string;
  epochs: number;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  momentum: number;
  schedule: (typeof SCHEDULES)[number];
  warmupEpochs: number;
  /** Step schedule: multiply lr by gamma every stepEpochs. */
  stepEpochs: number;
  gamma: number;
  weightDecay: number;
  labelSmoothing: number;
  augment: (typeof AUGMENTATIONS)[number][];
  seed: number;
  threads?: number;
  /** Train through compile(model, { mode: 'training' }) (fused batch norm, ReLU and residual adds). */
  compile?: boolean;
  validationSplit: number;
  earlyStopping?: number;
  /** Stop after this many training steps (for quick runs and tests). */
  maxSteps?: number;
  out: string;
  json: boolean;
}

export const DEFAULTS: Omit<TrainConfig, 'out' | 'json'> = {
  model: 'lenet5',
  dataset: 'fashion-mnist-small',
  backend: 'auto',
  epochs: 10,
  // Adam at 2e-3 with cosine decay over the run, batch 32: LeNet-5 passes 90% on Fashion-MNIST in 5 epochs.
  batchSize: 32,
  optimizer: 'adam',
  lr: 0.002,
  momentum: 0.9,
  schedule: 'cosine',
  warmupEpochs: 0,
  stepEpochs: 10,
  gamma: 0.1,
  weightDecay: 0,
  labelSmoothing: 0,
  augment: [],
  seed: 0,
  validationSplit: 0.1,
};

/** Largest JSON/YAML file (config, architecture) the CLI reads: 16 MiB. */
export const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A small text file named by a flag or argument (`what`, e.g. '--config'): it must be a regular
 * file (not a directory, device or pipe) of at most MAX_TEXT_FILE_BYTES, checked before reading.
 */
export function readTextFile(what: string, file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`${what}: file '${file}' does not exist`);
  }
  if (st.isDirectory()) throw new UsageError(`${what}: '${file}' is a directory, expected a file`);
  if (!st.isFile()) throw new UsageError(`${what}: '${file}' is not a regular file (a device, pipe or socket?)`);
  if (st.size > MAX_TEXT_FILE_BYTES) throw new UsageError(`${what}: '${file}' is ${st.size} bytes, over the ${MAX_TEXT_FILE_BYTES}-byte limit`);
  return readFileSync(file, 'utf8');
}

/** Reads a JSON or YAML config file of TrainConfig keys. */
export function readConfigFile(file: string): Partial<TrainConfig> {
  const text = readTextFile('--config', file);
  let parsed: unknown;
  try {
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`--config: ${file} is not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--config: ${file} must hold a mapping of options, e.g. "epochs: 5"`);
  }
  const known = new Set([...Object.keys(DEFAULTS), 'threads', 'compile', 'earlyStopping', 'maxSteps', 'out', 'json']);
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new UsageError(`--config: ${file} has unknown option '${key}'. Known: ${[...known].join(', ')}`);
  }
  return parsed as Partial<TrainConfig>;
}

/**
 * Most threads a backend may be started with: 256, the native backend's own limit. Checked while
 * the flags are parsed, before any backend starts (a wasm backend makes one worker per thread).
 */
export const MAX_THREADS = 256;

/** --threads: undefined when not given, else an integer from 1 to MAX_THREADS (a usage error otherwise). */
export function parseThreads(threads: unknown): number | undefined {
  if (threads === undefined) return undefined;
  const n = typeof threads === 'string' && threads.trim() !== '' ? Number(threads) : threads;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new UsageError(`--threads is '${String(threads)}' but expected an integer from 1 to ${MAX_THREADS}`);
  }
  return n;
}

/** A positive integer flag (--batch-size, --limit, --top-k), or `fallback` when not given. */
export function parsePositiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  return num(name, typeof v === 'string' && v.trim() === '' ? NaN : v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
}

function num(name: string, v: unknown, check: (n: number) => boolean, expected: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${name} is '${String(v)}' but expected ${expected}`);
  return n;
}

/** --compile (a flag, or `compile: true|false` in a config file): undefined when not given. */
function parseCompile(v: unknown): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  throw new UsageError(`--compile is '${String(v)}' but expected true or false`);
}

function oneOf<T extends string>(name: string, v: unknown, valid: readonly T[]): T {
  if (typeof v !== 'string' || !(valid as readonly string[]).includes(v)) {
    throw new UsageError(`${name} is '${String(v)}' but expected one of ${valid.join(', ')}`);
  }
  return v as T;
}

/** Defaults < config file < flags; validates every value (usage errors name the option). */
export function resolveConfig(file: Partial<TrainConfig>, flags: Partial<Record<keyof TrainConfig, unknown>>): TrainConfig {
  const merged: Record<string, unknown> = { ...DEFAULTS, ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const int = (n: number) => Number.isInteger(n);
  const augment = merged.augment;
  const augList = Array.isArray(augment) ? augment : typeof augment === 'string' ? augment.split(',').filter(Boolean) : [];
  return {
    model: String(merged.model),
    dataset: String(merged.dataset),
    backend: String(merged.backend),
    epochs: num('--epochs', merged.epochs, (n) => int(n) && n >= 1, 'a positive integer'),
    batchSize: num('--batch-size', merged.batchSize, (n) => int(n) && n >= 1, 'a positive integer'),
    optimizer: oneOf('--optimizer', merged.optimizer, OPTIMIZERS),
    lr: num('--lr', merged.lr, (n) => n > 0, 'a positive number'),
    momentum: num('--momentum', merged.momentum, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    schedule: oneOf('--schedule', merged.schedule, SCHEDULES),
    warmupEpochs: num('--warmup-epochs', merged.warmupEpochs, (n) => n >= 0, 'a non-negative number'),
    stepEpochs: num('--step-epochs', merged.stepEpochs, (n) => int(n) && n >= 1, 'a positive integer'),
    gamma: num('--gamma', merged.gamma, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
    weightDecay: num('--weight-decay', merged.weightDecay, (n) => n >= 0, 'a non-negative number'),
    labelSmoothing: num('--label-smoothing', merged.labelSmoothing, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    augment: augList.map((a) => oneOf('--augment', a, AUGMENTATIONS)),
    seed: num('--seed', merged.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer'),
    threads: parseThreads(merged.threads),
    compile: parseCompile(merged.compile),
    validationSplit: num('--validation-split', merged.validationSplit, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    earlyStopping:
      merged.earlyStopping === undefined ? undefined : num('--early-stopping', merged.earlyStopping, (n) => int(n) && n >= 1, 'a positive integer (patience in epochs)'),
    maxSteps: merged.maxSteps === undefined ? undefined : num('--max-steps', merged.maxSteps, (n) => int(n) && n >= 1, 'a positive integer'),
    out: String(merged.out ?? 'runs'),
    json: Boolean(merged.json),
  };
}
