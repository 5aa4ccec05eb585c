import { ArgumentError, ShapeError } from '../errors.js';
import { tensor } from '../ops/create.js';
import type { Model } from '../models/types.js';
import { Rng } from '../random/philox.js';
import { Adam, type Optimizer } from './optimizers.js';
import type { LrSchedule } from './schedules.js';
import { checkDataset, checkNormalization, gather, yieldToEventLoop, type AugmentFn, type ChannelNormalization, type DatasetInput } from './dataset.js';
import { checkTrainState, copyTrainState, type EpochLogs, type TrainPlan, type TrainState } from './state.js';
import { trainStep, type LossKind, type TrainStepResult } from './step.js';
import { EarlyStopping, type EarlyStoppingOptions, type FitCallbacks } from './callbacks.js';
import { evaluate } from './evaluate.js';
import { describeDivergence, DivergenceGuard, type Divergence, type DivergenceCheck, type DivergenceOptions } from './divergence.js';
import { allFinite } from './finite.js';
import { checkOptionKeys, optionKeys } from '../options.js';

// The public names of the training API, split over these modules, are all exported from here.
export {
  checkDataset,
  type AugmentFn,
  type Batch,
  type ByteImageDataset,
  type ChannelNormalization,
  type DatasetInput,
  type ImageDataset,
  standardizeChannels,
} from './dataset.js';
export { checkTrainState, type EpochLogs, type TrainPlan, type TrainState } from './state.js';
export { trainStep, type LossKind, type TrainStepOptions, type TrainStepResult } from './step.js';
export type { BatchEndInfo, CallbackResult, EarlyStoppingOptions, EpochEndInfo, FitCallbacks } from './callbacks.js';
export { evaluate, predict, type EvaluateOptions, type EvaluateResult, type PredictInput, type PredictOptions, type PredictResult } from './evaluate.js';

export interface FitOptions {
  /** Total epochs (a resumed run continues up to this). */
  epochs: number;
  batchSize?: number;
  /** Default Adam(lr 1e-3). */
  optimizer?: Optimizer;
  /** Learning rate per optimizer step. Default: optimizer.config.lr. */
  schedule?: LrSchedule;
  /** Alternative to `schedule` when it depends on the run's size (e.g. cosineLr's totalSteps). */
  scheduleFromPlan?: (plan: TrainPlan) => LrSchedule;
  loss?: LossKind;
  /** Cross-entropy only. */
  labelSmoothing?: number;
  /** Seeds shuffling, the validation split, dropout and augmentation. Default 0. */
  seed?: number;
  shuffle?: boolean;
  /** Drop a last partial batch. */
  dropLast?: boolean;
  /** Fraction of `data` held out (seeded random split) for validation. */
  validationSplit?: number;
  validationData?: DatasetInput;
  /**
   * Byte images only (a `@stridenet/datasets` Dataset): per-channel mean and std on the [0, 1] scale,
   * applied to `data` and `validationData` after the 1/255 scaling, e.g. `channelStats(train)`.
   */
  normalize?: ChannelNormalization;
  augment?: AugmentFn;
  callbacks?: FitCallbacks;
  earlyStopping?: EarlyStoppingOptions;
  /** Stop after the current batch when aborted (SIGINT); the result's state is resumable. */
  signal?: AbortSignal;
  /**
   * Stop when the run diverges (result.stopReason 'diverged', details in result.divergence):
   * a NaN or infinite batch loss or gradient, a loss above `divergence.maxLoss`, a smoothed loss
   * above `divergence.maxLossRatio` times its running minimum (checked before the update, so the
   * weights stay as they were), or a non-finite or too-large validation loss or non-finite weight
   * at an epoch end (checked before onEpochEnd runs). Default true. With false, a batch with a
   * non-finite loss or gradient is skipped (no update) and training goes on; the finite bounds
   * then apply only if `divergence` is given.
   */
  stopOnNonFinite?: boolean;
  /** Bounds of the finite-explosion checks (see DivergenceOptions); false checks non-finite values only. */
  divergence?: DivergenceOptions | false;
  /** Continue a run from a checkpoint's train state (weights and optimizer restored beforehand). */
  resume?: TrainState;
}

// prettier-ignore
const FIT_OPTION_KEYS = optionKeys<FitOptions>({
  epochs: 1, batchSize: 1, optimizer: 1, schedule: 1, scheduleFromPlan: 1, loss: 1, labelSmoothing: 1, seed: 1, shuffle: 1,
  dropLast: 1, validationSplit: 1, validationData: 1, normalize: 1, augment: 1, callbacks: 1, earlyStopping: 1, signal: 1, stopOnNonFinite: 1,
  divergence: 1, resume: 1,
});
const EARLY_STOPPING_KEYS = optionKeys<EarlyStoppingOptions>({ monitor: 1, patience: 1, minDelta: 1, restoreBestWeights: 1 });
const CALLBACK_KEYS = optionKeys<FitCallbacks>({ onTrainBegin: 1, onBatchEnd: 1, onEpochEnd: 1 });
const DIVERGENCE_KEYS = optionKeys<DivergenceOptions>({ maxLoss: 1, maxLossRatio: 1 });

export type StopReason = 'completed' | 'callback' | 'early-stopping' | 'aborted' | 'diverged';

export interface FitResult {
  history: EpochLogs[];
  state: TrainState;
  stopReason: StopReason;
  /** With stopReason 'diverged': what, where, and a message. `state` is from before the bad update. */
  divergence?: Divergence;
  optimizer: Optimizer;
  plan: TrainPlan;
}

// Independent Philox streams derived from the run seed, one per purpose.
const STREAM_DROPOUT = 1;
const STREAM_AUGMENT = 2;
const STREAM_SPLIT = 3;
const STREAM_SHUFFLE = 4;

/** The validated, derived settings of one fit call. */
interface FitSetup {
  per: number;
  normalize: ChannelNormalization | undefined;
  plan: TrainPlan;
  root: Rng;
  trainIdx: Int32Array;
  valIdx: Int32Array | null;
  lossKind: LossKind;
  labelSmoothing: number;
  resume: TrainState | undefined;
  seed: number;
}

function setUp(model: Model, data: DatasetInput, options: FitOptions): FitSetup {
  const op = 'fit';
  checkOptionKeys(op, options, FIT_OPTION_KEYS);
  checkOptionKeys('fit earlyStopping', options?.earlyStopping, EARLY_STOPPING_KEYS);
  checkOptionKeys('fit callbacks', options?.callbacks, CALLBACK_KEYS);
  checkOptionKeys('fit divergence', options?.divergence, DIVERGENCE_KEYS);
  const per = checkDataset(op, 'data', data, model);
  if (!Number.isSafeInteger(options?.epochs) || options.epochs < 1) throw new ArgumentError(op, 'epochs', options?.epochs, 'a positive integer');
  const batchSize = options.batchSize ?? 32;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ArgumentError(op, 'batchSize', batchSize, 'a positive integer');
  const lossKind = options.loss ?? 'cross-entropy';
  if (lossKind !== 'cross-entropy' && lossKind !== 'mse') throw new ArgumentError(op, 'loss', lossKind, "'cross-entropy' or 'mse'");
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (lossKind !== 'cross-entropy' && labelSmoothing !== 0) throw new ArgumentError(op, 'labelSmoothing', labelSmoothing, '0 unless loss is cross-entropy');
  const split = options.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new ArgumentError(op, 'validationSplit', split, 'a number in [0, 1)');
  if (split > 0 && options.validationData) throw new ArgumentError(op, 'validationSplit', split, '0 when validationData is given');
  if (options.validationData) checkDataset(op, 'validationData', options.validationData, model);
  const channels = data.shape[0]!;
  const normalize = checkNormalization(op, options.normalize, [
    ['data', data.images, channels],
    ...(options.validationData ? [['validationData', options.validationData.images, channels] as const] : []),
  ]);

  const resume = options.resume ? checkTrainState(options.resume, 'options.resume') : undefined;
  const seed = options.seed ?? resume?.seed ?? 0;
  if (resume && seed !== resume.seed) throw new ArgumentError(op, 'seed', seed, `${resume.seed} (the seed of the run being resumed)`);
  const root = new Rng(seed);

  // Seeded split: a sorted dataset still gets a representative validation set.
  let trainIdx: Int32Array;
  let valIdx: Int32Array | null = null;
  if (split > 0) {
    const perm = root.fork(STREAM_SPLIT).permutation(data.count);
    const nVal = Math.round(data.count * split);
    valIdx = perm.slice(0, nVal).sort();
    trainIdx = perm.slice(nVal).sort();
  } else {
    trainIdx = Int32Array.from({ length: data.count }, (_, i) => i);
  }
  const trainCount = trainIdx.length;
  if (trainCount === 0) throw new ArgumentError(op, 'data.count', data.count, 'at least one training example after the validation split');
  const valCount = valIdx ? valIdx.length : (options.validationData?.count ?? 0);
  const dropLast = options.dropLast ?? false;
  const batchesPerEpoch = dropLast ? Math.floor(trainCount / batchSize) : Math.ceil(trainCount / batchSize);
  if (batchesPerEpoch === 0) throw new ArgumentError(op, 'batchSize', batchSize, `at most ${trainCount} with dropLast (training examples)`);
  const plan: TrainPlan = { trainCount, valCount, batchSize, batchesPerEpoch, epochs: options.epochs, totalSteps: batchesPerEpoch * options.epochs };

  if (resume) {
    for (const [k, v] of [['batchSize', batchSize], ['trainCount', trainCount], ['valCount', valCount]] as const) {
      if (resume[k] !== v) throw new ArgumentError(op, k, v, `${resume[k]} as in the run being resumed (changing it would not continue the same run)`);
    }
    if (resume.batch > batchesPerEpoch) throw new ArgumentError(op, 'resume.batch', resume.batch, `at most ${batchesPerEpoch} batches per epoch`);
  }
  if (options.schedule && options.scheduleFromPlan) throw new ArgumentError(op, 'scheduleFromPlan', 'a function', 'undefined when schedule is given');
  return { per, normalize, plan, root, trainIdx, valIdx, lossKind, labelSmoothing, resume, seed };
}

function freshState(s: FitSetup, dropoutRng: Rng, augmentRng: Rng): TrainState {
  return {
    format: 'stridenet.train-state',
    version: 1,
    seed: s.seed,
    batchSize: s.plan.batchSize,
    trainCount: s.plan.trainCount,
    valCount: s.plan.valCount,
    epoch: 0,
    batch: 0,
    step: 0,
    dropoutRng: dropoutRng.getState(),
    augmentRng: augmentRng.getState(),
    epochLossSum: 0,
    epochCorrect: 0,
    epochSeen: 0,
    history: [],
    earlyStopping: null,
  };
}

/**
 * Trains `model` on in-memory data: float images (used as given) or the byte images of a
 * `@stridenet/datasets` Dataset (scaled by 1/255 and, with `options.normalize`, standardised per batch). Deterministic for a seed on a given backend, resumable from
 * any batch boundary, and awaits the event loop between batches (so signal handlers and progress
 * output run). See the package README for an example.
 */
export async function fit(model: Model, data: DatasetInput, options: FitOptions): Promise<FitResult> {
  const op = 'fit';
  const setup = setUp(model, data, options);
  const { per, normalize, plan, root, trainIdx, valIdx, lossKind, labelSmoothing, resume } = setup;
  const { batchSize, batchesPerEpoch, trainCount } = plan;

  const optimizer = options.optimizer ?? new Adam({ lr: 1e-3 });
  const schedule = options.schedule ?? options.scheduleFromPlan?.(plan) ?? null;
  if (schedule !== null && typeof schedule !== 'function') throw new ArgumentError(op, 'schedule', schedule, 'an LrSchedule (step => lr)');
  const lrAt = (step: number) => (schedule ? schedule(step) : optimizer.config.lr);
  const dropoutRng = resume ? Rng.fromState(resume.dropoutRng) : root.fork(STREAM_DROPOUT);
  const augmentRng = resume ? Rng.fromState(resume.augmentRng) : root.fork(STREAM_AUGMENT);
  const params = model.parameters();
  const trainables = params.filter((p) => p.trainable);

  const st: TrainState = resume ? copyTrainState(resume) : freshState(setup, dropoutRng, augmentRng);
  const es = options.earlyStopping;
  if (es && !st.earlyStopping) st.earlyStopping = { best: null, wait: 0, bestEpoch: -1 };
  const earlyStopping = es ? new EarlyStopping(es, st.earlyStopping!, plan.valCount > 0, params) : null;
  const stopOnDivergence = options.stopOnNonFinite !== false;
  const guard = new DivergenceGuard(options.divergence ?? (stopOnDivergence ? {} : false), st.divergence);
  const snapshot = (): TrainState =>
    copyTrainState({ ...st, dropoutRng: dropoutRng.getState(), augmentRng: augmentRng.getState(), divergence: guard.state });
  const callbacks = options.callbacks ?? {};
  const finish = (stopReason: StopReason): FitResult => ({ history: st.history, state: snapshot(), stopReason, optimizer, plan });
  const diverged = (c: DivergenceCheck): FitResult => ({ ...finish('diverged'), divergence: describeDivergence(c, st.epoch, st.step) });

  if ((await callbacks.onTrainBegin?.({ plan, state: snapshot() })) === 'stop') return finish('callback');

  while (st.epoch < options.epochs) {
    const started = Date.now();
    const perm = options.shuffle === false ? null : root.fork(STREAM_SHUFFLE).fork(st.epoch).permutation(trainCount);
    const order = perm ? perm.map((i) => trainIdx[i]!) : trainIdx;
    for (; st.batch < batchesPerEpoch; ) {
      const from = st.batch * batchSize;
      const to = Math.min(from + batchSize, trainCount);
      let batch = gather(data, per, order, from, to, normalize);
      if (options.augment) {
        const replaced = await options.augment(batch, { rng: augmentRng, epoch: st.epoch, step: st.step });
        if (replaced) {
          if (!(replaced.images instanceof Float32Array) || replaced.images.length !== batch.images.length || replaced.labels.length !== batch.labels.length) {
            throw new ShapeError(op, 'augment() result', { images: replaced.images?.length, labels: replaced.labels?.length }, `${batch.images.length} image values and ${batch.labels.length} labels`);
          }
          batch = replaced;
        }
      }
      const lr = lrAt(st.step);
      const x = tensor(batch.images, batch.shape);
      let r: TrainStepResult;
      try {
        r = await trainStep(model, optimizer, x, batch.labels, { rng: dropoutRng, lr, loss: lossKind, labelSmoothing, params: trainables, guard });
      } finally {
        x.dispose();
      }
      if (r.rejected && stopOnDivergence) return diverged(r.rejected);
      const n = to - from;
      st.step += 1;
      st.batch += 1;
      st.epochLossSum += r.loss * n;
      st.epochCorrect += r.correct;
      st.epochSeen += n;
      const verdict = await callbacks.onBatchEnd?.({
        epoch: st.epoch,
        batch: st.batch - 1,
        batchesPerEpoch,
        step: st.step,
        loss: r.loss,
        accuracy: r.correct / n,
        epochLoss: st.epochLossSum / st.epochSeen,
        epochAccuracy: st.epochCorrect / st.epochSeen,
        lr,
        state: snapshot(),
      });
      if (verdict === 'stop') return finish('callback');
      if (options.signal?.aborted) return finish('aborted');
      await yieldToEventLoop();
      if (options.signal?.aborted) return finish('aborted');
    }

    const logs: EpochLogs = {
      epoch: st.epoch,
      loss: st.epochSeen ? st.epochLossSum / st.epochSeen : NaN,
      accuracy: st.epochSeen ? st.epochCorrect / st.epochSeen : NaN,
      lr: lrAt(Math.max(0, st.step - 1)),
      seconds: (Date.now() - started) / 1000,
    };
    if (valIdx || options.validationData) {
      const v = valIdx
        ? await evaluate(model, data, { batchSize, loss: lossKind, labelSmoothing, indices: valIdx, normalize })
        : await evaluate(model, options.validationData!, { batchSize, loss: lossKind, labelSmoothing, normalize });
      logs.valLoss = v.loss;
      logs.valAccuracy = v.accuracy;
    }
    if (stopOnDivergence) {
      const bad = (logs.valLoss === undefined ? null : guard.checkValLoss(logs.valLoss)) ?? ((await allFinite(params.map((p) => p.value))) ? null : { kind: 'non-finite-weights' as const, value: NaN });
      if (bad) return diverged(bad);
    }
    st.history.push(logs);
    st.epoch += 1;
    st.batch = 0;
    st.epochLossSum = 0;
    st.epochCorrect = 0;
    st.epochSeen = 0;

    const stopEarly = (await earlyStopping?.onEpochEnd(logs)) === 'stop';
    const verdict = await callbacks.onEpochEnd?.({ ...logs, state: snapshot() });
    if (stopEarly) {
      earlyStopping!.onStop();
      return finish('early-stopping');
    }
    if (verdict === 'stop') return finish('callback');
    if (options.signal?.aborted) return finish('aborted');
  }
  return finish('completed');
}
