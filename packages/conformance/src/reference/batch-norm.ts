/** Float64 reference for batch normalisation: training (batch statistics), inference, gradient. */
import type { ChannelPlan, FusedActivation } from '@stridenet/core';

type Values = ArrayLike<number>;

function channelOf(i: number, plan: ChannelPlan): number {
  return Math.floor(i / plan.inner) % plan.channels;
}

/** Mean and biased variance per channel over every other axis. */
export function batchMoments(x: Values, plan: ChannelPlan): { mean: Float64Array; variance: Float64Array } {
  const count = plan.outer * plan.inner;
  const mean = new Float64Array(plan.channels);
  const variance = new Float64Array(plan.channels);
  for (let i = 0; i < x.length; i++) mean[channelOf(i, plan)] += x[i]! / count;
  for (let i = 0; i < x.length; i++) variance[channelOf(i, plan)] += (x[i]! - mean[channelOf(i, plan)]!) ** 2 / count;
  return { mean, variance };
}

export function batchNormInference(x: Values, gamma: Values, beta: Values, mean: Values, variance: Values, plan: ChannelPlan, epsilon: number): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const c = channelOf(i, plan);
    return ((v - mean[c]!) / Math.sqrt(variance[c]! + epsilon)) * gamma[c]! + beta[c]!;
  });
}

/** The fused epilogue act(y + residual) in place; NaN passes through relu. */
function epilogue(y: Float64Array, residual: Values | undefined, activation: FusedActivation): Float64Array {
  for (let i = 0; i < y.length; i++) {
    if (residual) y[i] += residual[i]!;
    if (activation === 'relu' && y[i]! < 0) y[i] = 0;
  }
  return y;
}

export function batchNormTrain(
  x: Values,
  gamma: Values,
  beta: Values,
  plan: ChannelPlan,
  epsilon: number,
  activation: FusedActivation = 'linear',
  residual?: Values,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const { mean, variance } = batchMoments(x, plan);
  return { y: epilogue(batchNormInference(x, gamma, beta, mean, variance, plan, epsilon), residual, activation), mean, variance };
}

/** Running statistics in place: r = (1 - momentum) r + momentum s, s the batch mean or the unbiased variance. */
export function batchNormRunning(runningMean: Float64Array, runningVar: Float64Array, mean: Values, variance: Values, plan: ChannelPlan, momentum: number): void {
  const count = plan.outer * plan.inner;
  for (let c = 0; c < plan.channels; c++) {
    runningMean[c] = (1 - momentum) * runningMean[c]! + momentum * mean[c]!;
    runningVar[c] = (1 - momentum) * runningVar[c]! + momentum * variance[c]! * (count / (count - 1));
  }
}

/** dy masked by a fused relu's output: the gradient of the pre-activation sum (and of a fused residual). */
export function reluMask(dy: Values, y: Values): Float64Array {
  return Float64Array.from(dy, (g, i) => (y[i]! > 0 ? g : 0));
}

/** Gradient of sum(dy * batchNormTrain(x).y) with the batch statistics depending on x. */
export function batchNormGrad(dy: Values, x: Values, gamma: Values, mean: Values, variance: Values, plan: ChannelPlan, epsilon: number): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const count = plan.outer * plan.inner;
  const dgamma = new Float64Array(plan.channels);
  const dbeta = new Float64Array(plan.channels);
  const inv = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
  for (let i = 0; i < x.length; i++) {
    const c = channelOf(i, plan);
    dbeta[c] += dy[i]!;
    dgamma[c] += dy[i]! * (x[i]! - mean[c]!) * inv[c]!;
  }
  const dx = Float64Array.from(x, (v, i) => {
    const c = channelOf(i, plan);
    const xhat = (v - mean[c]!) * inv[c]!;
    return ((gamma[c]! * inv[c]!) / count) * (count * dy[i]! - dbeta[c]! - xhat * dgamma[c]!);
  });
  return { dx, dgamma, dbeta };
}
