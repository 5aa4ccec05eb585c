import { BackendError, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/batch-norm-grad.wgsl';
import { UnaryGrad } from './unary-grad.js';

/**
 * One workgroup per channel: both channel sums, then dx, in one dispatch. A fused relu first masks dy by
 * y > 0 in an element-wise dispatch of the same pass (the mask inside would need a 9th storage binding).
 */
export const BatchNormGrad: KernelFn<WebGpuHandle, 'BatchNormGrad'> = ({ dy, x, gamma, mean, variance, y }, { plan, epsilon, activation }) => {
  const rt = x.runtime;
  const size = plan.outer * plan.channels * plan.inner;
  if (activation === 'relu' && !y) throw new BackendError("webgpu: BatchNormGrad with activation 'relu' needs the forward output y");
  const g = activation === 'relu' ? UnaryGrad({ dy, x: y!, y: y! }, { op: 'relu', alpha: 0, size }) : dy;
  const dx = rt.acquire(size);
  const dgamma = rt.acquire(plan.channels);
  const dbeta = rt.acquire(plan.channels);
  rt.dispatch({
    shader: 'batch-norm-grad',
    code,
    ints: plan.encoded,
    floats: [epsilon],
    inputs: [g.buffer, x.buffer, gamma.buffer, mean.buffer, variance.buffer],
    outputs: [dx.buffer, dgamma.buffer, dbeta.buffer],
    workgroups: rt.itemGrid(plan.channels),
  });
  if (g !== dy) rt.release(g);
  return [dx, dgamma, dbeta];
};
