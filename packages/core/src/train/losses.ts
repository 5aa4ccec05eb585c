import { ArgumentError, ShapeError } from '../errors.js';
import type { Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { softmaxCrossEntropy } from '../ops/softmax.js';
import { checkOptionKeys } from '../options.js';

export type Labels = Int32Array | Uint8Array | readonly number[];

/**
 * Dense targets [N, C] for integer labels: one-hot, or with label smoothing e
 * (Szegedy et al. 2016) (1 - e) on the true class plus e / C everywhere.
 */
export function oneHot(labels: Labels, numClasses: number, labelSmoothing = 0): Float32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ArgumentError('oneHot', 'numClasses', numClasses, 'a positive integer');
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new ArgumentError('oneHot', 'labelSmoothing', labelSmoothing, 'a number in [0, 1)');
  }
  const n = labels.length;
  const off = labelSmoothing / numClasses;
  const on = 1 - labelSmoothing + off;
  const out = new Float32Array(n * numClasses).fill(off);
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new ArgumentError('oneHot', `labels[${i}]`, y, `an integer class in [0, ${numClasses - 1}]`);
    }
    out[i * numClasses + y] = on;
  }
  return out;
}

/** Mean softmax cross-entropy of logits [N, C] against integer labels, optionally smoothed: a [1] tensor. */
export function softmaxCrossEntropyLoss(logits: Tensor, labels: Labels, options: { labelSmoothing?: number } = {}): Tensor {
  checkOptionKeys('softmaxCrossEntropyLoss', options, ['labelSmoothing']);
  if (logits.rank !== 2) throw new ShapeError('softmaxCrossEntropyLoss', 'logits shape', logits.shape, 'rank 2 [batch, classes]');
  const [n, c] = logits.shape as [number, number];
  if (labels.length !== n) throw new ShapeError('softmaxCrossEntropyLoss', 'labels length', labels.length, `${n} (the batch size of the logits)`);
  const target = tensor(oneHot(labels, c, options.labelSmoothing ?? 0), [n, c], logits.backend);
  const loss = softmaxCrossEntropy(logits, target);
  target.dispose();
  return loss;
}

/** Mean squared error over every element: a [1] tensor. */
export function mseLoss(predictions: Tensor, targets: Tensor): Tensor {
  if (predictions.size !== targets.size || predictions.shape.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError('mseLoss', 'targets shape', targets.shape, `[${predictions.shape.join(',')}] like the predictions`);
  }
  const d = sub(predictions, targets);
  const s = square(d);
  const loss = mean(s);
  d.dispose();
  s.dispose();
  return loss;
}
