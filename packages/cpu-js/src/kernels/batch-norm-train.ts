import { batchNormRunningFactors, type ChannelPlan, type KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** Per-channel mean and biased variance over [outer, inner], two-pass in float64 for accuracy. */
export function channelMoments(plan: ChannelPlan, x: Float32Array): [Float64Array, Float64Array] {
  const { outer, channels: C, inner } = plan;
  const count = outer * inner;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const at = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) s += x[at + i]!;
    }
    const mu = s / count;
    let q = 0;
    for (let o = 0; o < outer; o++) {
      const at = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const d = x[at + i]! - mu;
        q += d * d;
      }
    }
    mean[c] = mu;
    variance[c] = q / count;
  }
  return [mean, variance];
}

/** y = gamma (x - mean) / sqrt(var + eps) + beta with per-channel affine coefficients. */
export function normalize(
  plan: ChannelPlan,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  epsilon: number,
  y: Float32Array,
): void {
  const { outer, channels: C, inner } = plan;
  for (let c = 0; c < C; c++) {
    const scale = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
    const shift = beta[c]! - mean[c]! * scale;
    for (let o = 0; o < outer; o++) {
      const at = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) y[at + i] = x[at + i]! * scale + shift;
    }
  }
}

/** y = act(y + residual) in place: the fused epilogue of BatchNormTrain. NaN passes through relu. */
function addResidualActivate(y: Float32Array, residual: Float32Array | undefined, relu: boolean): void {
  if (residual) for (let i = 0; i < y.length; i++) y[i]! += residual[i]!;
  if (relu) for (let i = 0; i < y.length; i++) if (y[i]! < 0) y[i] = 0;
}

/** r = r * keep + stat * take in float32 steps (the multiplies, then the sum; batchNormRunningFactors). */
function updateRunning(running: Float32Array, stat: Float32Array, keep: number, take: number): void {
  for (let c = 0; c < running.length; c++) running[c] = Math.fround(Math.fround(running[c]! * keep) + Math.fround(stat[c]! * take));
}

export const BatchNormTrain: KernelFn<Float32Array, 'BatchNormTrain'> = ({ x, gamma, beta, residual, runningMean, runningVar }, { plan, epsilon, activation, momentum }) => {
  const [mean, variance] = channelMoments(plan, x);
  const y = alloc(plan.outer * plan.channels * plan.inner);
  normalize(plan, x, gamma, beta, mean, variance, epsilon, y);
  addResidualActivate(y, residual, activation === 'relu');
  const m = alloc(plan.channels);
  const v = alloc(plan.channels);
  m.set(mean);
  v.set(variance);
  const f = batchNormRunningFactors(plan, momentum);
  if (runningMean) updateRunning(runningMean, m, f.keep, f.mean);
  if (runningVar) updateRunning(runningVar, v, f.keep, f.variance);
  return [y, m, v];
};
