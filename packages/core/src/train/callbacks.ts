import { ArgumentError } from '../errors.js';
import { keep } from '../engine.js';
import { tensor } from '../ops/create.js';
import type { Parameter } from '../models/types.js';
import type { EarlyStoppingState, EpochLogs, TrainPlan, TrainState } from './state.js';

export interface BatchEndInfo {
  epoch: number;
  /** 0-based index of the batch just finished within the epoch. */
  batch: number;
  batchesPerEpoch: number;
  /** Optimizer steps taken, this one included. */
  step: number;
  /** This batch's mean loss and accuracy. */
  loss: number;
  accuracy: number;
  /** Running means of the epoch so far. */
  epochLoss: number;
  epochAccuracy: number;
  lr: number;
  /** Resumable state after this batch: pass to `encodeCheckpoint` / `saveCheckpoint`. */
  state: TrainState;
}

export interface EpochEndInfo extends EpochLogs {
  state: TrainState;
}

/** Return 'stop' (or a promise of it) to end training after the current batch/epoch. */
export type CallbackResult = void | 'stop' | Promise<void | 'stop'>;

export interface FitCallbacks {
  onTrainBegin?(info: { plan: TrainPlan; state: TrainState }): CallbackResult;
  onBatchEnd?(info: BatchEndInfo): CallbackResult;
  onEpochEnd?(info: EpochEndInfo): CallbackResult;
}

export interface EarlyStoppingOptions {
  /** Default 'valLoss' when there is validation data, else 'loss'. */
  monitor?: 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  /** On stop, put back the best epoch's weights (kept in memory, so only if that epoch ran in this process). */
  restoreBestWeights?: boolean;
}

/** Copies of every parameter's values, taken on the host, to put back later. */
export class BestWeights {
  private saved: Float32Array[] | null = null;

  constructor(private readonly params: readonly Parameter[]) {}

  async capture(): Promise<void> {
    this.saved = await Promise.all(this.params.map((p) => p.value.data()));
  }

  /** Puts the captured values back (no-op when nothing was captured in this process). */
  restore(): void {
    const saved = this.saved;
    if (!saved) return;
    this.params.forEach((p, i) => {
      const t = keep(tensor(saved[i]!, p.value.shape, p.value.backend));
      p.value.dispose();
      p.value = t;
    });
  }
}

/**
 * Stops training when the monitored metric has not improved for `patience` epochs. Its progress
 * lives in `state` (the train state's `earlyStopping`, updated in place, so checkpoints carry it).
 */
export class EarlyStopping {
  readonly monitor: NonNullable<EarlyStoppingOptions['monitor']>;
  private readonly maximize: boolean;
  private readonly best: BestWeights | null;

  constructor(
    private readonly options: EarlyStoppingOptions,
    readonly state: EarlyStoppingState,
    hasValidation: boolean,
    params: readonly Parameter[],
  ) {
    if (!Number.isSafeInteger(options.patience) || options.patience < 0) {
      throw new ArgumentError('fit', 'earlyStopping.patience', options.patience, 'a non-negative integer');
    }
    this.monitor = options.monitor ?? (hasValidation ? 'valLoss' : 'loss');
    this.maximize = this.monitor === 'accuracy' || this.monitor === 'valAccuracy';
    this.best = options.restoreBestWeights ? new BestWeights(params) : null;
  }

  /** Records an epoch; resolves to 'stop' when patience has run out. */
  async onEpochEnd(logs: EpochLogs): Promise<void | 'stop'> {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new ArgumentError('fit', 'earlyStopping.monitor', this.monitor, 'a metric the run computes (valLoss/valAccuracy need validation data)');
    }
    const e = this.state;
    const minDelta = this.options.minDelta ?? 0;
    const improved = e.best === null || (this.maximize ? value > e.best + minDelta : value < e.best - minDelta);
    if (improved) {
      e.best = value;
      e.wait = 0;
      e.bestEpoch = logs.epoch;
      await this.best?.capture();
      return undefined;
    }
    e.wait += 1;
    return e.wait > this.options.patience ? 'stop' : undefined;
  }

  /** Called when training ends because of this callback: restores the best weights if asked to. */
  onStop(): void {
    this.best?.restore();
  }
}
