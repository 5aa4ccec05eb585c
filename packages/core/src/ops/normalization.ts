import { ArgumentError, ShapeError } from '../errors.js';
import { engine, Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import { planChannel } from '../plans/elementwise.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { FusedActivation } from '../spec/index.js';
import { checkActivation } from './conv.js';

/** Running statistics a training step updates in place (PyTorch convention, as torch.nn.BatchNorm*d). */
export interface BatchNormRunning {
  /** [C], becomes (1 - momentum) * mean + momentum * batch mean. */
  mean: Tensor;
  /** [C], becomes (1 - momentum) * variance + momentum * unbiased batch variance (count / (count - 1)). */
  variance: Tensor;
  /** Weight of the batch statistic, in [0, 1]. */
  momentum: number;
}

export interface BatchNormTrainOptions {
  training: true;
  epsilon?: number;
  /** Added after the normalisation and before the activation, of x's shape (a ResNet shortcut). */
  residual?: Tensor;
  /** Applied last: y = act(bn(x) + residual). Default 'linear'. */
  activation?: FusedActivation;
  /** Updated in place by the same kernel; never recorded for gradients. */
  running?: BatchNormRunning;
}

export interface BatchNormInferenceOptions {
  training: false;
  mean: Tensor;
  variance: Tensor;
  epsilon?: number;
}

const BATCH_NORM_OPTION_KEYS = optionKeys<Omit<BatchNormTrainOptions, 'training'> & Omit<BatchNormInferenceOptions, 'training'> & { training: boolean }>({
  training: 1,
  mean: 1,
  variance: 1,
  epsilon: 1,
  residual: 1,
  activation: 1,
  running: 1,
});
const RUNNING_KEYS = optionKeys<BatchNormRunning>({ mean: 1, variance: 1, momentum: 1 });

export interface BatchNormResult {
  y: Tensor;
  /** Batch mean and biased batch variance (training only). */
  mean?: Tensor;
  variance?: Tensor;
}

function checkChannelVector(name: string, t: unknown, channels: number): void {
  if (!(t instanceof Tensor)) throw new ArgumentError('batchNorm', name, t, `a float32 Tensor of shape [${channels}]`);
  if (t.rank !== 1 || t.shape[0] !== channels) throw new ShapeError('batchNorm', `${name} shape`, t.shape, `[${channels}]`);
}

function checkRunning(running: BatchNormRunning, channels: number, count: number): void {
  if (running === null || typeof running !== 'object') throw new ArgumentError('batchNorm', 'running', running, '{ mean, variance, momentum }');
  checkOptionKeys('batchNorm', running, RUNNING_KEYS);
  checkChannelVector('running.mean', running.mean, channels);
  checkChannelVector('running.variance', running.variance, channels);
  const m = running.momentum;
  if (typeof m !== 'number' || !(m >= 0 && m <= 1)) throw new ArgumentError('batchNorm', 'running.momentum', m, 'a number in [0, 1]');
  if (count < 2) {
    throw new ShapeError('batchNorm', 'values per channel', count, 'at least 2 to update running statistics (the unbiased variance divides by count - 1)');
  }
}

/**
 * Batch normalisation over every axis but channel axis 1 (NC, NCL, NCHW). Training uses batch
 * statistics and returns them; with `residual` / `activation` it computes act(bn(x) + residual) in one
 * kernel, and with `running` the same kernel updates the running mean and variance in place.
 * Inference uses the given running mean and variance.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, options: BatchNormTrainOptions | BatchNormInferenceOptions): BatchNormResult {
  checkOptionKeys('batchNorm', options, BATCH_NORM_OPTION_KEYS);
  const channels = x.shape[1] ?? 0;
  const plan = planChannel('batchNorm', x.shape, gamma.shape[0] ?? -1, `gamma shape [${gamma.shape.join(',')}]`);
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t.rank !== 1 || t.shape[0] !== channels) throw new ShapeError('batchNorm', `${name} shape`, t.shape, `[${channels}]`);
  }
  const epsilon = options.epsilon ?? 1e-5;
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new ArgumentError('batchNorm', 'epsilon', epsilon, 'a positive finite number');
  if (options.training) return batchNormTrain(x, gamma, beta, options, plan, epsilon);
  const { mean, variance } = options;
  for (const [name, t] of [['mean', mean], ['variance', variance]] as const) {
    if (!t || t.rank !== 1 || t.shape[0] !== channels) throw new ShapeError('batchNorm', `${name} shape`, t?.shape, `[${channels}]`);
  }
  const [y] = engine.runKernel('BatchNormInference', { x, gamma, beta, mean, variance }, { plan, epsilon }, [x.shape]);
  record('BatchNormInference', [y!], [x, gamma, beta, mean, variance], { plan, epsilon });
  return { y: y! };
}

function batchNormTrain(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  options: BatchNormTrainOptions,
  plan: ReturnType<typeof planChannel>,
  epsilon: number,
): BatchNormResult {
  const activation = checkActivation('batchNorm', options.activation);
  const { residual, running } = options;
  if (residual !== undefined) {
    if (!(residual instanceof Tensor) || residual.dtype !== 'float32') {
      throw new ArgumentError('batchNorm', 'residual', residual instanceof Tensor ? `a ${String(residual.dtype)} tensor` : residual, 'a float32 Tensor');
    }
    if (residual.rank !== x.rank || residual.shape.some((d, i) => d !== x.shape[i])) {
      throw new ShapeError('batchNorm', 'residual shape', residual.shape, `[${x.shape.join(',')}] (the input shape)`);
    }
  }
  if (running !== undefined) {
    checkRunning(running, plan.channels, plan.outer * plan.inner);
    // Written in place while the kernel reads its other inputs: each must be a buffer of its own.
    const read: [string, Tensor | undefined][] = [['x', x], ['gamma', gamma], ['beta', beta], ['residual', residual], ['running.mean', running.mean]];
    for (const [key, t] of [['running.mean', running.mean], ['running.variance', running.variance]] as const) {
      const same = read.find(([name, r]) => r === t && name !== key);
      if (same) throw new ArgumentError('batchNorm', key, `the ${same[0]} tensor`, 'a tensor of its own (it is updated in place)');
    }
  }
  const momentum = running?.momentum ?? 0;
  const attrs = { plan, epsilon, activation, momentum };
  const inputs = { x, gamma, beta, residual, runningMean: running?.mean, runningVar: running?.variance };
  const [y, m, v] = engine.runKernel('BatchNormTrain', inputs, attrs, [x.shape, [plan.channels], [plan.channels]]);
  // The running statistics are state updated in place, not part of the graph.
  record('BatchNormTrain', [y!, m!, v!], [x, gamma, beta, residual], attrs);
  return { y: y!, mean: m!, variance: v! };
}
