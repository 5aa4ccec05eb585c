import { ArgumentError, FormatError, ShapeError } from '../errors.js';
import { keep, tidy, type Tensor } from '../engine.js';
import { noGrad, valueAndGrads } from '../autograd/tape.js';
import { tensor } from '../ops/create.js';
import { softmax } from '../ops/softmax.js';
import type { Model, Parameter } from '../model/types.js';
import { Rng, type RngState } from '../random/philox.js';
import { Adam, type Optimizer } from './optimizers.js';
import type { LrSchedule } from './schedules.js';
import { mseLoss, oneHot, softmaxCrossEntropyLoss } from './losses.js';
import { ConfusionMatrix, countCorrect, topK as topKOf } from './metrics.js';

/**
 * In-memory labelled images, the shape `@stridenet/datasets` loaders return:
 * `images` is float32 NCHW (`count * C * H * W` values), `labels` one class index per image.
 */
export interface ImageDataset {
  images: Float32Array;
  labels: Int32Array | Uint8Array;
  count: number;
  /** One example, without the batch axis: [C, H, W]. */
  shape: readonly number[];
  numClasses: number;
}

/** A batch as handed to the augmentation hook: plain arrays the hook may change in place. */
export interface Batch {
  images: Float32Array;
  labels: Int32Array;
  /** [n, C, H, W]. */
  shape: number[];
}

/**
 * Per-batch augmentation, run on the CPU copy before upload. Use `ctx.rng` for randomness: it is
 * seeded from the run seed and saved in checkpoints, so augmented runs stay reproducible.
 * Change `batch` in place or return a replacement of the same shape.
 */
export type AugmentFn = (batch: Batch, ctx: { rng: Rng; epoch: number; step: number }) => void | Batch | Promise<void | Batch>;

export type LossKind = 'cross-entropy' | 'mse';

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
  earlyStopping: { best: number | null; wait: number; bestEpoch: number } | null;
}

export interface TrainPlan {
  trainCount: number;
  valCount: number;
  batchSize: number;
  batchesPerEpoch: number;
  epochs: number;
  totalSteps: number;
}

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
  validationData?: ImageDataset;
  augment?: AugmentFn;
  callbacks?: FitCallbacks;
  earlyStopping?: EarlyStoppingOptions;
  /** Stop after the current batch when aborted (SIGINT); the result's state is resumable. */
  signal?: AbortSignal;
  /** Stop when a batch loss is NaN or infinite. Default true. */
  stopOnNonFinite?: boolean;
  /** Continue a run from a checkpoint's train state (weights and optimizer restored beforehand). */
  resume?: TrainState;
}

export type StopReason = 'completed' | 'callback' | 'early-stopping' | 'aborted' | 'non-finite-loss';

export interface FitResult {
  history: EpochLogs[];
  state: TrainState;
  stopReason: StopReason;
  optimizer: Optimizer;
  plan: TrainPlan;
}

// Independent Philox streams derived from the run seed, one per purpose.
const STREAM_DROPOUT = 1;
const STREAM_AUGMENT = 2;
const STREAM_SPLIT = 3;
const STREAM_SHUFFLE = 4;

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** Checks a dataset against a model; returns the size of one example. */
export function checkDataset(op: string, name: string, data: ImageDataset, model?: Model): number {
  if (!data || typeof data !== 'object') throw new ArgumentError(op, name, data, '{ images, labels, count, shape, numClasses }');
  if (!(data.images instanceof Float32Array)) throw new ArgumentError(op, `${name}.images`, typeof data.images, 'a Float32Array (NCHW)');
  if (!(data.labels instanceof Int32Array || data.labels instanceof Uint8Array)) {
    throw new ArgumentError(op, `${name}.labels`, typeof data.labels, 'an Int32Array or Uint8Array');
  }
  if (!Number.isInteger(data.count) || data.count < 0) throw new ArgumentError(op, `${name}.count`, data.count, 'a non-negative integer');
  if (!Array.isArray(data.shape) || !data.shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, `${name}.shape`, data.shape, 'positive integers [C, H, W]');
  }
  const per = data.shape.reduce((a, b) => a * b, 1);
  if (data.images.length !== data.count * per) {
    throw new ShapeError(op, `${name}.images length`, data.images.length, `count * C*H*W = ${data.count} * ${per}`);
  }
  if (data.labels.length !== data.count) throw new ShapeError(op, `${name}.labels length`, data.labels.length, `count = ${data.count}`);
  if (!Number.isInteger(data.numClasses) || data.numClasses < 1) throw new ArgumentError(op, `${name}.numClasses`, data.numClasses, 'a positive integer');
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i]!;
    if (y >= data.numClasses) throw new ArgumentError(op, `${name}.labels[${i}]`, y, `a class in [0, ${data.numClasses - 1}]`);
    if (y < 0) throw new ArgumentError(op, `${name}.labels[${i}]`, y, 'a non-negative class index');
  }
  if (model) {
    if (model.inputShape.length !== data.shape.length || model.inputShape.some((d, i) => d !== data.shape[i])) {
      throw new ShapeError(op, `${name}.shape`, data.shape, `[${model.inputShape.join(',')}] (model '${model.name}' input shape)`);
    }
    const out = model.outputShape[model.outputShape.length - 1];
    if (out !== undefined && out !== data.numClasses) {
      throw new ShapeError(op, `${name}.numClasses`, data.numClasses, `${out} (model '${model.name}' output width)`);
    }
  }
  return per;
}

function gather(data: ImageDataset, per: number, indices: ArrayLike<number>, from: number, to: number): Batch {
  const n = to - from;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const src = indices[from + j]!;
    images.set(data.images.subarray(src * per, (src + 1) * per), j * per);
    labels[j] = data.labels[src]!;
  }
  return { images, labels, shape: [n, ...data.shape] };
}

function lossOf(kind: LossKind, logits: Tensor, labels: Int32Array, labelSmoothing: number): Tensor {
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
}

/**
 * One optimisation step on a batch: forward in training mode, loss, gradients of every trainable
 * parameter, optimizer update. Frees every tensor it makes (x stays the caller's).
 */
export async function trainStep(
  model: Model,
  optimizer: Optimizer,
  x: Tensor,
  labels: Int32Array,
  options: { rng: Rng; lr?: number; loss?: LossKind; labelSmoothing?: number; params?: readonly Parameter[] },
): Promise<TrainStepResult> {
  const trainables = options.params ?? model.parameters().filter((p) => p.trainable);
  const kind = options.loss ?? 'cross-entropy';
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
  try {
    optimizer.step(trainables, grads, options.lr);
  } catch (e) {
    logits!.dispose();
    value.dispose();
    throw e;
  } finally {
    for (const g of grads) g.dispose();
  }
  try {
    const [lossData, scores] = await Promise.all([value.data(), logits!.data()]);
    return { loss: lossData[0]!, correct: countCorrect(scores, labels, logits!.shape[1]!) };
  } finally {
    value.dispose();
    logits!.dispose();
  }
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
  try {
    Rng.fromState(s.dropoutRng);
    Rng.fromState(s.augmentRng);
  } catch (e) {
    fail(`has a bad RNG state: ${(e as Error).message}`);
  }
  return s;
}

function monitorValue(logs: EpochLogs, monitor: NonNullable<EarlyStoppingOptions['monitor']>): number {
  const v = logs[monitor];
  if (v === undefined) throw new ArgumentError('fit', 'earlyStopping.monitor', monitor, 'a metric the run computes (valLoss/valAccuracy need validation data)');
  return v;
}

/**
 * Trains `model` on in-memory data. Deterministic for a seed on a given backend, resumable from
 * any batch boundary, and awaits the event loop between batches (so signal handlers and progress
 * output run). See the package README for an example.
 */
export async function fit(model: Model, data: ImageDataset, options: FitOptions): Promise<FitResult> {
  const op = 'fit';
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

  const optimizer = options.optimizer ?? new Adam({ lr: 1e-3 });
  if (options.schedule && options.scheduleFromPlan) throw new ArgumentError(op, 'scheduleFromPlan', 'a function', 'undefined when schedule is given');
  const schedule = options.schedule ?? options.scheduleFromPlan?.(plan) ?? null;
  if (schedule !== null && typeof schedule !== 'function') throw new ArgumentError(op, 'schedule', schedule, 'an LrSchedule (step => lr)');
  const lrAt = (step: number) => (schedule ? schedule(step) : optimizer.config.lr);
  const dropoutRng = resume ? Rng.fromState(resume.dropoutRng) : root.fork(STREAM_DROPOUT);
  const augmentRng = resume ? Rng.fromState(resume.augmentRng) : root.fork(STREAM_AUGMENT);
  const es = options.earlyStopping;
  if (es && (!Number.isSafeInteger(es.patience) || es.patience < 0)) throw new ArgumentError(op, 'earlyStopping.patience', es.patience, 'a non-negative integer');
  const monitor = es?.monitor ?? (valCount > 0 ? 'valLoss' : 'loss');
  const maximize = monitor === 'accuracy' || monitor === 'valAccuracy';

  const st: TrainState = resume
    ? { ...resume, history: resume.history.map((h) => ({ ...h })), earlyStopping: resume.earlyStopping ? { ...resume.earlyStopping } : null }
    : {
        format: 'stridenet.train-state',
        version: 1,
        seed,
        batchSize,
        trainCount,
        valCount,
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
  if (es && !st.earlyStopping) st.earlyStopping = { best: null, wait: 0, bestEpoch: -1 };
  const snapshot = (): TrainState => ({
    ...st,
    dropoutRng: dropoutRng.getState(),
    augmentRng: augmentRng.getState(),
    history: st.history.map((h) => ({ ...h })),
    earlyStopping: st.earlyStopping ? { ...st.earlyStopping } : null,
  });

  const params = model.parameters();
  const trainables = params.filter((p) => p.trainable);
  let bestWeights: Float32Array[] | null = null;
  const callbacks = options.callbacks ?? {};
  const finish = (stopReason: StopReason): FitResult => ({ history: st.history, state: snapshot(), stopReason, optimizer, plan });

  if ((await callbacks.onTrainBegin?.({ plan, state: snapshot() })) === 'stop') return finish('callback');

  while (st.epoch < options.epochs) {
    const started = Date.now();
    const perm = options.shuffle === false ? null : root.fork(STREAM_SHUFFLE).fork(st.epoch).permutation(trainCount);
    const order = perm ? perm.map((i) => trainIdx[i]!) : trainIdx;
    for (; st.batch < batchesPerEpoch; ) {
      const from = st.batch * batchSize;
      const to = Math.min(from + batchSize, trainCount);
      let batch = gather(data, per, order, from, to);
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
        r = await trainStep(model, optimizer, x, batch.labels, { rng: dropoutRng, lr, loss: lossKind, labelSmoothing, params: trainables });
      } finally {
        x.dispose();
      }
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
      if (!Number.isFinite(r.loss) && options.stopOnNonFinite !== false) return finish('non-finite-loss');
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
        ? await evaluate(model, data, { batchSize, loss: lossKind, labelSmoothing, indices: valIdx })
        : await evaluate(model, options.validationData!, { batchSize, loss: lossKind, labelSmoothing });
      logs.valLoss = v.loss;
      logs.valAccuracy = v.accuracy;
    }
    st.history.push(logs);
    st.epoch += 1;
    st.batch = 0;
    st.epochLossSum = 0;
    st.epochCorrect = 0;
    st.epochSeen = 0;

    let stopEarly = false;
    if (es && st.earlyStopping) {
      const value = monitorValue(logs, monitor);
      const e = st.earlyStopping;
      const minDelta = es.minDelta ?? 0;
      const improved = e.best === null || (maximize ? value > e.best + minDelta : value < e.best - minDelta);
      if (improved) {
        e.best = value;
        e.wait = 0;
        e.bestEpoch = logs.epoch;
        if (es.restoreBestWeights) bestWeights = await Promise.all(params.map((p) => p.value.data()));
      } else {
        e.wait += 1;
        stopEarly = e.wait > es.patience;
      }
    }
    const verdict = await callbacks.onEpochEnd?.({ ...logs, state: snapshot() });
    if (stopEarly) {
      if (bestWeights) {
        const saved = bestWeights;
        params.forEach((p, i) => {
          const t = keep(tensor(saved[i]!, p.value.shape, p.value.backend));
          p.value.dispose();
          p.value = t;
        });
      }
      return finish('early-stopping');
    }
    if (verdict === 'stop') return finish('callback');
    if (options.signal?.aborted) return finish('aborted');
  }
  return finish('completed');
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  confusion: ConfusionMatrix;
  count: number;
}

/** Loss, accuracy and confusion matrix in inference mode (dropout off, batch norm running stats). */
export async function evaluate(
  model: Model,
  data: ImageDataset,
  options: { batchSize?: number; loss?: LossKind; labelSmoothing?: number; indices?: ArrayLike<number> } = {},
): Promise<EvaluateResult> {
  const per = checkDataset('evaluate', 'data', data, model);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ArgumentError('evaluate', 'batchSize', batchSize, 'a positive integer');
  const indices = options.indices ?? Int32Array.from({ length: data.count }, (_, i) => i);
  const confusion = new ConfusionMatrix(data.numClasses);
  const ctx = { training: false, rng: new Rng(0) };
  let lossSum = 0;
  for (let from = 0; from < indices.length; from += batchSize) {
    const to = Math.min(from + batchSize, indices.length);
    const batch = gather(data, per, indices, from, to);
    const [lossT, logits] = noGrad(() =>
      tidy(() => {
        const x = tensor(batch.images, batch.shape);
        const out = model.forward(x, ctx);
        return [lossOf(options.loss ?? 'cross-entropy', out, batch.labels, options.labelSmoothing ?? 0), out] as const;
      }),
    );
    try {
      const [l, scores] = await Promise.all([lossT.data(), logits.data()]);
      lossSum += l[0]! * (to - from);
      confusion.update(scores, batch.labels);
    } finally {
      lossT.dispose();
      logits.dispose();
    }
    await yieldToEventLoop();
  }
  const count = indices.length;
  return { loss: count ? lossSum / count : NaN, accuracy: confusion.accuracy, confusion, count };
}

export interface PredictResult {
  count: number;
  numClasses: number;
  /** Softmax probabilities [count * numClasses]. */
  probabilities: Float32Array;
  /** Argmax class per example. */
  classes: Int32Array;
  /** When options.topK is set: best classes and probabilities [count * k], best first. */
  topK?: { indices: Int32Array; values: Float32Array; k: number };
}

/** Class probabilities for images [count * C*H*W] (or a dataset's images) in inference mode. */
export async function predict(
  model: Model,
  input: Float32Array | Pick<ImageDataset, 'images'>,
  options: { batchSize?: number; topK?: number } = {},
): Promise<PredictResult> {
  const images = input instanceof Float32Array ? input : input?.images;
  if (!(images instanceof Float32Array)) throw new ArgumentError('predict', 'input', typeof input, 'a Float32Array of NCHW images or { images }');
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  if (images.length % per !== 0) {
    throw new ShapeError('predict', 'images length', images.length, `a multiple of ${per} (model input [${model.inputShape.join(',')}])`);
  }
  const batchSize = options.batchSize ?? 128;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ArgumentError('predict', 'batchSize', batchSize, 'a positive integer');
  const count = images.length / per;
  const ctx = { training: false, rng: new Rng(0) };
  let numClasses = 0;
  const chunks: Float32Array[] = [];
  for (let from = 0; from < count; from += batchSize) {
    const to = Math.min(from + batchSize, count);
    const probs = noGrad(() =>
      tidy(() => softmax(model.forward(tensor(images.subarray(from * per, to * per), [to - from, ...model.inputShape]), ctx))),
    );
    try {
      numClasses = probs.shape[1]!;
      chunks.push(await probs.data());
    } finally {
      probs.dispose();
    }
    await yieldToEventLoop();
  }
  const probabilities = new Float32Array(count * numClasses);
  let offset = 0;
  for (const c of chunks) {
    probabilities.set(c, offset);
    offset += c.length;
  }
  const classes = count && numClasses ? topKOf(probabilities, numClasses, 1).indices : new Int32Array(0);
  const result: PredictResult = { count, numClasses, probabilities, classes };
  if (options.topK !== undefined && count > 0) result.topK = topKOf(probabilities, numClasses, options.topK);
  return result;
}
