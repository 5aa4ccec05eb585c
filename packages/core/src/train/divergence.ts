import { ArgumentError } from '../errors.js';

/**
 * When a run counts as diverged (see the README). A batch is checked before its update, so a
 * diverged batch never changes the parameters or the optimizer.
 */
export interface DivergenceOptions {
  /** A batch or validation loss above this is divergence. Default 1e6. */
  maxLoss?: number;
  /**
   * Divergence when the smoothed batch loss (bias-corrected moving average, factor 0.9) exceeds
   * this multiple of its lowest value so far. Default 100.
   */
  maxLossRatio?: number;
}

export const DEFAULT_MAX_LOSS = 1e6;
export const DEFAULT_MAX_LOSS_RATIO = 100;
const SMOOTHING = 0.9;

export type DivergenceKind =
  | 'non-finite-loss'
  | 'non-finite-gradient'
  | 'loss-above-bound'
  | 'loss-explosion'
  | 'non-finite-val-loss'
  | 'val-loss-above-bound'
  | 'non-finite-weights';

export interface DivergenceCheck {
  kind: DivergenceKind;
  /** The offending value (a loss, or NaN for gradients and weights). */
  value: number;
  /** The bound it crossed, for the bound and ratio checks. */
  limit?: number;
}

export interface Divergence extends DivergenceCheck {
  /** Epoch (0-based) and optimizer steps taken when it was found; the state is from before the bad update. */
  epoch: number;
  step: number;
  message: string;
}

/** The running statistics of the ratio check, saved in the train state so a resumed run checks the same. */
export interface DivergenceState {
  smoothed: number;
  steps: number;
  /** Lowest bias-corrected smoothed loss so far (null before the first step). */
  min: number | null;
}

/**
 * Decides whether a loss means the run diverged. With `options` false only non-finite values
 * count; otherwise also a loss above `maxLoss` or a smoothed loss above `maxLossRatio` times its
 * running minimum.
 */
export class DivergenceGuard {
  private readonly maxLoss: number;
  private readonly maxRatio: number;
  private s: DivergenceState;

  constructor(options: DivergenceOptions | false = {}, state?: DivergenceState) {
    const o = options === false ? { maxLoss: Infinity, maxLossRatio: Infinity } : options;
    this.maxLoss = o.maxLoss ?? DEFAULT_MAX_LOSS;
    this.maxRatio = o.maxLossRatio ?? DEFAULT_MAX_LOSS_RATIO;
    if (!(this.maxLoss > 0)) throw new ArgumentError('fit', 'divergence.maxLoss', o.maxLoss, 'a positive number (or Infinity)');
    if (!(this.maxRatio > 1)) throw new ArgumentError('fit', 'divergence.maxLossRatio', o.maxLossRatio, 'a number above 1 (or Infinity)');
    this.s = state ? { ...state } : { smoothed: 0, steps: 0, min: null };
  }

  get state(): DivergenceState {
    return { ...this.s };
  }

  private next(loss: number): { smoothed: number; corrected: number } {
    const smoothed = SMOOTHING * this.s.smoothed + (1 - SMOOTHING) * loss;
    return { smoothed, corrected: smoothed / (1 - SMOOTHING ** (this.s.steps + 1)) };
  }

  /** Why a batch loss (computed before its update) is divergence, or null. */
  checkBatchLoss(loss: number): DivergenceCheck | null {
    if (!Number.isFinite(loss)) return { kind: 'non-finite-loss', value: loss };
    if (loss > this.maxLoss) return { kind: 'loss-above-bound', value: loss, limit: this.maxLoss };
    const { corrected } = this.next(loss);
    if (this.s.min !== null && Number.isFinite(this.maxRatio) && corrected > this.maxRatio * this.s.min) {
      return { kind: 'loss-explosion', value: corrected, limit: this.maxRatio * this.s.min };
    }
    return null;
  }

  /** Records a batch loss whose update was applied. */
  commit(loss: number): void {
    if (!Number.isFinite(loss)) return;
    const { smoothed, corrected } = this.next(loss);
    this.s = { smoothed, steps: this.s.steps + 1, min: this.s.min === null ? corrected : Math.min(this.s.min, corrected) };
  }

  /** Why a validation loss is divergence, or null. */
  checkValLoss(loss: number): DivergenceCheck | null {
    if (!Number.isFinite(loss)) return { kind: 'non-finite-val-loss', value: loss };
    if (loss > this.maxLoss) return { kind: 'val-loss-above-bound', value: loss, limit: this.maxLoss };
    return null;
  }
}

const WHAT: Record<DivergenceKind, string> = {
  'non-finite-loss': 'the batch loss is',
  'non-finite-gradient': 'a gradient holds NaN or infinite values',
  'loss-above-bound': 'the batch loss is',
  'loss-explosion': 'the smoothed batch loss is',
  'non-finite-val-loss': 'the validation loss is',
  'val-loss-above-bound': 'the validation loss is',
  'non-finite-weights': 'a weight holds NaN or infinite values',
};

/** Adds where it happened and a one-line message: what diverged, the value and the bound. */
export function describeDivergence(c: DivergenceCheck, epoch: number, step: number): Divergence {
  const value = Number.isFinite(c.value) ? c.value.toExponential(3) : String(c.value);
  let what = WHAT[c.kind];
  if (c.kind === 'loss-explosion') what += ` ${value}, above ${c.limit!.toExponential(3)} (maxLossRatio times its running minimum)`;
  else if (c.limit !== undefined) what += ` ${value}, above the bound ${c.limit.toExponential(1)} (maxLoss)`;
  else if (c.kind === 'non-finite-loss' || c.kind === 'non-finite-val-loss') what += ` ${value}`;
  return { ...c, epoch, step, message: `training diverged in epoch ${epoch + 1} after ${step} steps: ${what}` };
}
