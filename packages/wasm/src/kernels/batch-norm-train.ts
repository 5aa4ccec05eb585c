import type { ChannelPlan, KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';
import { checkFiniteAttr } from '../checks/attrs.js';
import { launch } from '../checks/call.js';
import { checkChannelPlan } from '../checks/plans.js';

/** Plan, tensor size and epsilon of the batch-norm kernels, checked. */
export function batchNormAttrs(kernel: string, attrs: { plan: ChannelPlan; epsilon: number }): { plan: ChannelPlan; size: number; epsilon: number } {
  const plan = checkChannelPlan(kernel, attrs);
  return { plan, size: plan.outer * plan.channels * plan.inner, epsilon: checkFiniteAttr(kernel, 'epsilon', attrs.epsilon, 0) };
}

/** One channel per work unit. */
export const batchNormTrain: KernelFn<WasmHandle, 'BatchNormTrain'> = (inputs, attrs) => {
  const { plan, size, epsilon } = batchNormAttrs('BatchNormTrain', attrs);
  const c = plan.channels;
  return launch('BatchNormTrain', inputs, { x: size, gamma: c, beta: c }, (k) => {
    const y = k.output(size);
    const mean = k.output(c);
    const variance = k.output(c);
    const frame = k.frame([k.ptr.x, k.ptr.gamma, k.ptr.beta, k.addr(y), k.addr(mean), k.addr(variance), f32(epsilon)], plan.encoded);
    k.run('batchNormTrain', frame, c, { work: size * 3 });
    return [y, mean, variance];
  });
};
