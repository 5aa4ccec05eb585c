import { ArgumentError, ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import { planChannel } from '../plans/elementwise.js';
import { checkOptionKeys, optionKeys } from '../options.js';

export interface BatchNormTrainOptions {
  training: true;
  epsilon?: number;
}

export interface BatchNormInferenceOptions {
  training: false;
  mean: Tensor;
  variance: Tensor;
  epsilon?: number;
}

const BATCH_NORM_OPTION_KEYS = optionKeys<BatchNormInferenceOptions>({ training: 1, mean: 1, variance: 1, epsilon: 1 });

export interface BatchNormResult {
  y: Tensor;
  /** Batch mean and biased batch variance (training only), for running statistics. */
  mean?: Tensor;
  variance?: Tensor;
}

/**
 * Batch normalisation over every axis but channel axis 1 (NC, NCL, NCHW). Training uses batch
 * statistics and returns them; inference uses the given running mean and variance.
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
  if (options.training) {
    const [y, m, v] = engine.runKernel('BatchNormTrain', { x, gamma, beta }, { plan, epsilon }, [x.shape, [channels], [channels]]);
    record('BatchNormTrain', [y!, m!, v!], [x, gamma, beta], { plan, epsilon });
    return { y: y!, mean: m!, variance: v! };
  }
  const { mean, variance } = options;
  for (const [name, t] of [['mean', mean], ['variance', variance]] as const) {
    if (!t || t.rank !== 1 || t.shape[0] !== channels) throw new ShapeError('batchNorm', `${name} shape`, t?.shape, `[${channels}]`);
  }
  const [y] = engine.runKernel('BatchNormInference', { x, gamma, beta, mean, variance }, { plan, epsilon }, [x.shape]);
  record('BatchNormInference', [y!], [x, gamma, beta, mean, variance], { plan, epsilon });
  return { y: y! };
}
