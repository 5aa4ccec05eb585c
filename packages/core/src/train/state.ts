import { FormatError } from '../errors.js';
import { Rng, type RngState } from '../random/philox.js';
import type { DivergenceState } from './divergence.js';

export interface EpochLogs {
  /** 0-based. */
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Wall time of the epoch (not part of reproducibility). */
  seconds: number;
}

/** Early-stopping progress, saved with the train state so a resumed run keeps counting. */
export interface EarlyStoppingState {
  best: number | null;
  wait: number;
  bestEpoch: number;
}

/**
 * Everything besides weights and optimizer slots that a resumed run needs to continue exactly:
 * JSON-safe, saved in checkpoints (see `encodeCheckpoint`). Taken at batch boundaries.
 */
export interface TrainState {
  format: 'stridenet.train-state';
  version: 1;
  seed: number;
  batchSize: number;
  trainCount: number;
  valCount: number;
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Next batch to run in that epoch. */
  batch: number;
  /** Optimizer steps taken so far. */
  step: number;
  dropoutRng: RngState;
  augmentRng: RngState;
  /** Running sums of the epoch in progress (float64, so resumed epoch means are exact). */
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  history: EpochLogs[];
  earlyStopping: EarlyStoppingState | null;
  /** Running statistics of the divergence checks (absent in states from before they existed). */
  divergence?: DivergenceState;
}

export interface TrainPlan {
  trainCount: number;
  valCount: number;
  batchSize: number;
  batchesPerEpoch: number;
  epochs: number;
  totalSteps: number;
}

/** A deep copy of a train state (it holds only JSON values). */
export function copyTrainState(s: TrainState): TrainState {
  const copy: TrainState = { ...s, history: s.history.map((h) => ({ ...h })), earlyStopping: s.earlyStopping ? { ...s.earlyStopping } : null };
  if (s.divergence) copy.divergence = { ...s.divergence };
  return copy;
}

/** Validates a train state read from a checkpoint (`file` names the source in errors). */
export function checkTrainState(state: unknown, file = 'train state'): TrainState {
  const s = state as TrainState;
  const fail = (what: string): never => {
    throw new FormatError(file, `train state ${what}`);
  };
  if (!s || typeof s !== 'object') fail('is missing or not an object');
  if (s.format !== 'stridenet.train-state') fail(`format is ${JSON.stringify(s.format)} but expected "stridenet.train-state"`);
  if (s.version !== 1) fail(`version is ${JSON.stringify(s.version)} but expected 1`);
  for (const k of ['seed', 'batchSize', 'trainCount', 'valCount', 'epoch', 'batch', 'step', 'epochCorrect', 'epochSeen'] as const) {
    if (!Number.isSafeInteger(s[k]) || s[k] < 0) fail(`field '${k}' is ${JSON.stringify(s[k])} but expected a non-negative integer`);
  }
  if (typeof s.epochLossSum !== 'number') fail(`field 'epochLossSum' is ${JSON.stringify(s.epochLossSum)} but expected a number`);
  if (!Array.isArray(s.history)) fail("field 'history' is not an array");
  const d = s.divergence;
  if (d !== undefined) {
    const ok = d !== null && typeof d === 'object' && Number.isFinite(d.smoothed) && Number.isSafeInteger(d.steps) && d.steps >= 0 && (d.min === null || Number.isFinite(d.min));
    if (!ok) fail(`field 'divergence' is ${JSON.stringify(d)} but expected { smoothed, steps, min } with finite numbers`);
  }
  try {
    Rng.fromState(s.dropoutRng);
    Rng.fromState(s.augmentRng);
  } catch (e) {
    fail(`has a bad RNG state: ${(e as Error).message}`);
  }
  return s;
}
