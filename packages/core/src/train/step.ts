import { ShapeError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { keep, type Tensor } from '../engine.js';
import { valueAndGrads } from '../autograd/tape.js';
import { tensor } from '../ops/create.js';
import type { Model, Parameter } from '../models/types.js';
import type { Rng } from '../random/philox.js';
import type { Optimizer } from './optimizers.js';
import { mseLoss, oneHot, softmaxCrossEntropyLoss } from './losses.js';
import { countCorrect } from './metrics.js';
import { DivergenceGuard, type DivergenceCheck } from './divergence.js';
import { gradientsFinite } from './finite.js';

export type LossKind = 'cross-entropy' | 'mse';

/** The mean loss of a batch of logits [n, classes] against class labels. */
export function lossOf(kind: LossKind, logits: Tensor, labels: Int32Array, labelSmoothing: number): Tensor {
  if (kind === 'mse') {
    const target = tensor(oneHot(labels, logits.shape[1]!), logits.shape, logits.backend);
    const loss = mseLoss(logits, target);
    return loss;
  }
  return softmaxCrossEntropyLoss(logits, labels, { labelSmoothing });
}

export interface TrainStepResult {
  loss: number;
  /** Correct argmax predictions in the batch. */
  correct: number;
  /** Set when the guard refused the update: parameters and optimizer were left unchanged. */
  rejected?: DivergenceCheck;
}

export interface TrainStepOptions {
  rng: Rng;
  /** Overrides optimizer.config.lr (schedules). */
  lr?: number;
  loss?: LossKind;
  labelSmoothing?: number;
  params?: readonly Parameter[];
  /**
   * Checked before the update: the loss (finite, and the guard's bounds) and every gradient
   * (finite). Default: a guard that refuses non-finite values only. `false`: update unchecked.
   */
  guard?: DivergenceGuard | false;
}

const TRAIN_STEP_OPTION_KEYS = optionKeys<TrainStepOptions>({ rng: 1, lr: 1, loss: 1, labelSmoothing: 1, params: 1, guard: 1 });

/**
 * One optimisation step on a batch: forward in training mode, loss, gradients of every trainable
 * parameter, then — unless the guard refuses the loss or a gradient — the optimizer update.
 * Frees every tensor it makes (x stays the caller's).
 */
export async function trainStep(model: Model, optimizer: Optimizer, x: Tensor, labels: Int32Array, options: TrainStepOptions): Promise<TrainStepResult> {
  checkOptionKeys('trainStep', options, TRAIN_STEP_OPTION_KEYS);
  const trainables = options.params ?? model.parameters().filter((p) => p.trainable);
  const kind = options.loss ?? 'cross-entropy';
  const guard = options.guard ?? new DivergenceGuard(false);
  let logits: Tensor | undefined;
  let result;
  try {
    result = valueAndGrads(() => {
      logits = keep(model.forward(x, { training: true, rng: options.rng }));
      if (logits.rank !== 2 || logits.shape[0] !== labels.length) {
        throw new ShapeError('trainStep', 'model output shape', logits.shape, `[${labels.length}, classes]`);
      }
      return lossOf(kind, logits, labels, options.labelSmoothing ?? 0);
    }, trainables.map((p) => p.value));
  } catch (e) {
    logits?.dispose();
    throw e;
  }
  const { value, grads } = result;
  const out = logits!;
  try {
    if (guard === false) {
      optimizer.step(trainables, grads, options.lr);
      const [lossData, scores] = await Promise.all([value.data(), out.data()]);
      return { loss: lossData[0]!, correct: countCorrect(scores, labels, out.shape[1]!) };
    }
    const [lossData, scores, gradsFinite] = await Promise.all([value.data(), out.data(), gradientsFinite(grads)]);
    const loss = lossData[0]!;
    const correct = countCorrect(scores, labels, out.shape[1]!);
    const rejected = guard.checkBatchLoss(loss) ?? (gradsFinite ? null : { kind: 'non-finite-gradient' as const, value: NaN });
    if (rejected) return { loss, correct, rejected };
    optimizer.step(trainables, grads, options.lr);
    guard.commit(loss);
    return { loss, correct };
  } finally {
    for (const g of grads) g.dispose();
    value.dispose();
    out.dispose();
  }
}
