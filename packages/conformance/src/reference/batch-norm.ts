/** Float64 reference for batch normalisation: training (batch statistics), inference, gradient. */
import type { ChannelPlan } from '@stridenet/core';

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

export function batchNormTrain(x: Values, gamma: Values, beta: Values, plan: ChannelPlan, epsilon: number): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const { mean, variance } = batchMoments(x, plan);
  return { y: batchNormInference(x, gamma, beta, mean, variance, plan, epsilon), mean, variance };
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
