import { ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import { planRows } from '../plans/elementwise.js';
import { mean } from './reduce.js';

/** Softmax over the last axis (max-subtracted). */
export function softmax(x: Tensor): Tensor {
  const plan = planRows('softmax', x.shape);
  const [y] = engine.runKernel('Softmax', { x }, { plan, log: false }, [x.shape]);
  record('Softmax', [y!], [x], { plan, log: false });
  return y!;
}

/** Log-softmax over the last axis. */
export function logSoftmax(x: Tensor): Tensor {
  const plan = planRows('logSoftmax', x.shape);
  const [y] = engine.runKernel('Softmax', { x }, { plan, log: true }, [x.shape]);
  record('Softmax', [y!], [x], { plan, log: true });
  return y!;
}

function checkLogitsLabels(op: string, logits: Tensor, labels: Tensor): void {
  if (logits.rank !== 2) throw new ShapeError(op, 'logits shape', logits.shape, 'rank 2 [batch, classes]');
  if (labels.rank !== 2 || labels.shape[0] !== logits.shape[0] || labels.shape[1] !== logits.shape[1]) {
    throw new ShapeError(op, 'labels shape', labels.shape, `[${logits.shape.join(',')}] like the logits (one-hot or probabilities)`);
  }
}

/** Per-example loss -sum(labels * logSoftmax(logits)), fused and stable: [batch]. */
export function softmaxCrossEntropyPerExample(logits: Tensor, labels: Tensor): Tensor {
  checkLogitsLabels('softmaxCrossEntropy', logits, labels);
  const plan = planRows('softmaxCrossEntropy', logits.shape);
  const [loss] = engine.runKernel('SoftmaxCrossEntropy', { logits, labels }, { plan }, [[plan.rows]]);
  record('SoftmaxCrossEntropy', [loss!], [logits, labels], { plan });
  return loss!;
}

/** Mean softmax cross-entropy over the batch: a [1] tensor. Labels are one-hot or smoothed distributions. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const perExample = softmaxCrossEntropyPerExample(logits, labels);
  const loss = mean(perExample);
  perExample.dispose();
  return loss;
}
