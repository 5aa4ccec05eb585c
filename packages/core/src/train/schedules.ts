import { ArgumentError } from '../errors.js';
import { checkOptionKeys } from '../options.js';

/** JSON description of a schedule, so runs and checkpoints can record and rebuild it. */
export type LrScheduleConfig =
  | { type: 'constant'; lr: number }
  | { type: 'step'; lr: number; stepSize: number; gamma: number }
  | { type: 'cosine'; lr: number; totalSteps: number; minLr: number }
  | { type: 'warmup'; warmupSteps: number; startFactor: number; then: LrScheduleConfig };

/**
 * Learning rate as a pure function of the optimizer step (0-based count of steps already taken).
 * Being stateless is what makes resumed runs exact: nothing but the step needs saving.
 */
export interface LrSchedule {
  (step: number): number;
  readonly config: LrScheduleConfig;
}

function positiveInt(op: string, name: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ArgumentError(op, name, v, 'a positive integer');
  return v as number;
}

function nonNegative(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ArgumentError(op, name, v, 'a finite number >= 0');
  return v;
}

function make(config: LrScheduleConfig, f: (step: number) => number): LrSchedule {
  return Object.assign((step: number) => f(Math.max(0, Math.floor(step))), { config: Object.freeze(config) });
}

export function constantLr(lr: number): LrSchedule {
  nonNegative('constantLr', 'lr', lr);
  return make({ type: 'constant', lr }, () => lr);
}

/** lr * gamma^floor(step / stepSize) (PyTorch StepLR, counted in optimizer steps). */
export function stepLr(options: { lr: number; stepSize: number; gamma?: number }): LrSchedule {
  checkOptionKeys('stepLr', options, ['lr', 'stepSize', 'gamma']);
  const lr = nonNegative('stepLr', 'lr', options.lr);
  const stepSize = positiveInt('stepLr', 'stepSize', options.stepSize);
  const gamma = nonNegative('stepLr', 'gamma', options.gamma ?? 0.1);
  return make({ type: 'step', lr, stepSize, gamma }, (s) => lr * gamma ** Math.floor(s / stepSize));
}

/** Half-cosine from lr down to minLr over totalSteps, then minLr (PyTorch CosineAnnealingLR, one cycle). */
export function cosineLr(options: { lr: number; totalSteps: number; minLr?: number }): LrSchedule {
  checkOptionKeys('cosineLr', options, ['lr', 'totalSteps', 'minLr']);
  const lr = nonNegative('cosineLr', 'lr', options.lr);
  const totalSteps = positiveInt('cosineLr', 'totalSteps', options.totalSteps);
  const minLr = nonNegative('cosineLr', 'minLr', options.minLr ?? 0);
  return make({ type: 'cosine', lr, totalSteps, minLr }, (s) => minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(s, totalSteps)) / totalSteps))) / 2);
}

/**
 * Linear warm-up from startFactor * then(0) to then(0) over warmupSteps, followed by `then`
 * started afresh (its step 0 is the first step after warm-up).
 */
export function warmupLr(options: { warmupSteps: number; startFactor?: number }, then: LrSchedule): LrSchedule {
  checkOptionKeys('warmupLr', options, ['warmupSteps', 'startFactor']);
  const warmupSteps = positiveInt('warmupLr', 'warmupSteps', options.warmupSteps);
  const startFactor = nonNegative('warmupLr', 'startFactor', options.startFactor ?? 1 / (warmupSteps + 1));
  if (startFactor > 1) throw new ArgumentError('warmupLr', 'startFactor', startFactor, 'a number in [0, 1]');
  if (typeof then !== 'function' || !then.config) throw new ArgumentError('warmupLr', 'then', then, 'an LrSchedule (constantLr, stepLr, cosineLr)');
  const base = then(0);
  return make({ type: 'warmup', warmupSteps, startFactor, then: then.config }, (s) =>
    s < warmupSteps ? base * (startFactor + ((1 - startFactor) * s) / warmupSteps) : then(s - warmupSteps),
  );
}

/** Rebuilds a schedule from its config (as stored in a checkpoint). */
export function scheduleFromConfig(config: LrScheduleConfig): LrSchedule {
  switch (config?.type) {
    case 'constant':
      return constantLr(config.lr);
    case 'step':
      return stepLr({ lr: config.lr, stepSize: config.stepSize, gamma: config.gamma });
    case 'cosine':
      return cosineLr({ lr: config.lr, totalSteps: config.totalSteps, minLr: config.minLr });
    case 'warmup':
      return warmupLr({ warmupSteps: config.warmupSteps, startFactor: config.startFactor }, scheduleFromConfig(config.then));
    default:
      throw new ArgumentError('scheduleFromConfig', 'config.type', (config as { type?: unknown })?.type, "'constant', 'step', 'cosine' or 'warmup'");
  }
}
