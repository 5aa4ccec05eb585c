import { ArgumentError, ShapeError } from '../errors.js';
import { checkOptionKeys } from '../options.js';
import { tidy } from '../engine.js';
import { noGrad } from '../autograd/tape.js';
import { tensor } from '../ops/create.js';
import { softmax } from '../ops/softmax.js';
import type { Model } from '../models/types.js';
import { Rng } from '../random/philox.js';
import { ConfusionMatrix, topK as topKOf } from './metrics.js';
import { checkDataset, gather, yieldToEventLoop, type ImageDataset } from './dataset.js';
import { lossOf, type LossKind } from './step.js';

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
  checkOptionKeys('evaluate', options, ['batchSize', 'loss', 'labelSmoothing', 'indices']);
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
  checkOptionKeys('predict', options, ['batchSize', 'topK']);
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
