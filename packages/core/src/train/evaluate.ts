import { ArgumentError, ShapeError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { tidy } from '../engine.js';
import { noGrad } from '../autograd/tape.js';
import { tensor } from '../ops/create.js';
import { softmax } from '../ops/softmax.js';
import type { Model } from '../models/types.js';
import { Rng } from '../random/philox.js';
import { ConfusionMatrix, topK as topKOf } from './metrics.js';
import {
  bytesToFloat32,
  checkDataset,
  checkInputShape,
  checkNormalization,
  gather,
  kindOf,
  yieldToEventLoop,
  type ChannelNormalization,
  type DatasetInput,
} from './dataset.js';
import { lossOf, type LossKind } from './step.js';

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  confusion: ConfusionMatrix;
  count: number;
}

export interface EvaluateOptions {
  batchSize?: number;
  loss?: LossKind;
  labelSmoothing?: number;
  /** Evaluate only these examples (in this order). */
  indices?: ArrayLike<number>;
  /** Byte images only: per-channel standardisation after the 1/255 scaling (use the training set's statistics). */
  normalize?: ChannelNormalization;
}
const EVALUATE_OPTION_KEYS = optionKeys<EvaluateOptions>({ batchSize: 1, loss: 1, labelSmoothing: 1, indices: 1, normalize: 1 });

/**
 * Loss, accuracy and confusion matrix in inference mode (dropout off, batch norm running stats), on
 * float images or the byte images of a `@stridenet/datasets` Dataset (see ByteImageDataset).
 */
export async function evaluate(model: Model, data: DatasetInput, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  checkOptionKeys('evaluate', options, EVALUATE_OPTION_KEYS);
  const per = checkDataset('evaluate', 'data', data, model);
  const normalize = checkNormalization('evaluate', options.normalize, [['data', data.images, data.shape[0]!]]);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ArgumentError('evaluate', 'batchSize', batchSize, 'a positive integer');
  const indices = options.indices ?? Int32Array.from({ length: data.count }, (_, i) => i);
  const confusion = new ConfusionMatrix(data.numClasses);
  const ctx = { training: false, rng: new Rng(0) };
  let lossSum = 0;
  for (let from = 0; from < indices.length; from += batchSize) {
    const to = Math.min(from + batchSize, indices.length);
    const batch = gather(data, per, indices, from, to, normalize);
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

export interface PredictOptions {
  batchSize?: number;
  topK?: number;
  /** Byte images only: per-channel standardisation after the 1/255 scaling (the training set's statistics). */
  normalize?: ChannelNormalization;
}
const PREDICT_OPTION_KEYS = optionKeys<PredictOptions>({ batchSize: 1, topK: 1, normalize: 1 });

/** What `predict` takes: float images [count * C*H*W], or a dataset's images (floats or bytes) with an optional shape to check. */
export type PredictInput = Float32Array | { readonly images: Float32Array | Uint8Array; readonly shape?: readonly number[] };

/**
 * Class probabilities for images [count * C*H*W] in inference mode: a Float32Array used as given, or
 * `{ images }` of a dataset, whose byte images are converted one batch at a time (see ByteImageDataset).
 */
export async function predict(model: Model, input: PredictInput, options: PredictOptions = {}): Promise<PredictResult> {
  checkOptionKeys('predict', options, PREDICT_OPTION_KEYS);
  const images = input instanceof Float32Array ? input : input?.images;
  if (!(images instanceof Float32Array || images instanceof Uint8Array)) {
    throw new ArgumentError('predict', input instanceof Object && 'images' in input ? 'input.images' : 'input', kindOf(images ?? input), 'a Float32Array of NCHW images, or { images } with a Float32Array or a Uint8Array of NCHW bytes');
  }
  if (!(input instanceof Float32Array) && input.shape !== undefined) checkInputShape('predict', 'input.shape', input.shape, model);
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  if (images.length % per !== 0) {
    throw new ShapeError('predict', 'images length', images.length, `a multiple of ${per} (model input [${model.inputShape.join(',')}])`);
  }
  const normalize = checkNormalization('predict', options.normalize, [['input', images, model.inputShape[0]!]]);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new ArgumentError('predict', 'batchSize', batchSize, 'a positive integer');
  const count = images.length / per;
  const ctx = { training: false, rng: new Rng(0) };
  let numClasses = 0;
  const chunks: Float32Array[] = [];
  for (let from = 0; from < count; from += batchSize) {
    const to = Math.min(from + batchSize, count);
    const probs = noGrad(() =>
      tidy(() => softmax(model.forward(tensor(floatRange(images, from * per, to * per, model.inputShape, normalize), [to - from, ...model.inputShape]), ctx))),
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

function floatRange(images: Float32Array | Uint8Array, from: number, to: number, shape: readonly number[], norm: ChannelNormalization | undefined): Float32Array {
  return images instanceof Float32Array ? images.subarray(from, to) : bytesToFloat32(images.subarray(from, to), shape, norm);
}
