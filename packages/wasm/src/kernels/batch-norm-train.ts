import { batchNormRunningFactors, type ChannelPlan, type KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';
import { activationFlag, checkFiniteAttr } from '../checks/attrs.js';
import { launch, optional } from '../checks/call.js';
import { checkChannelPlan } from '../checks/plans.js';

/** Plan, tensor size and epsilon of the batch-norm kernels, checked. */
export function batchNormAttrs(kernel: string, attrs: { plan: ChannelPlan; epsilon: number }): { plan: ChannelPlan; size: number; epsilon: number } {
  const plan = checkChannelPlan(kernel, attrs);
  return { plan, size: plan.outer * plan.channels * plan.inner, epsilon: checkFiniteAttr(kernel, 'epsilon', attrs.epsilon, 0) };
}

/** One channel per work unit; residual, relu and the running-statistics update fused. */
export const batchNormTrain: KernelFn<WasmHandle, 'BatchNormTrain'> = (inputs, attrs) => {
  const { plan, size, epsilon } = batchNormAttrs('BatchNormTrain', attrs);
  const relu = activationFlag('BatchNormTrain', attrs.activation);
  const f = batchNormRunningFactors(plan, checkFiniteAttr('BatchNormTrain', 'momentum', attrs.momentum, 0));
  const c = plan.channels;
  const sizes = { x: size, gamma: c, beta: c, residual: optional(size), runningMean: optional(c), runningVar: optional(c) };
  return launch('BatchNormTrain', inputs, sizes, (k) => {
    const y = k.output(size);
    const mean = k.output(c);
    const variance = k.output(c);
    const p = k.ptr;
    const frame = k.frame(
      [p.x, p.gamma, p.beta, k.addr(y), k.addr(mean), k.addr(variance), f32(epsilon), p.residual, relu, p.runningMean, p.runningVar, f32(f.keep), f32(f.mean), f32(f.variance)],
      plan.encoded,
    );
    k.run('batchNormTrain', frame, c, { work: size * 3 });
    return [y, mean, variance];
  });
};
