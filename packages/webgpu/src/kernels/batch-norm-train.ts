import { batchNormRunningFactors, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/batch-norm-train.wgsl';
import runningCode from '../shaders/batch-norm-running.wgsl';

/**
 * One workgroup per channel: statistics and act(normalised + residual) in one dispatch; with running
 * statistics a second, per-channel dispatch in the same pass updates them (a shader may bind 8 storage
 * buffers, one dispatch would need 9).
 */
export const BatchNormTrain: KernelFn<WebGpuHandle, 'BatchNormTrain'> = ({ x, gamma, beta, residual, runningMean, runningVar }, attrs) => {
  const { plan, epsilon, activation } = attrs;
  const rt = x.runtime;
  const y = rt.acquire(plan.outer * plan.channels * plan.inner);
  const mean = rt.acquire(plan.channels);
  const variance = rt.acquire(plan.channels);
  rt.dispatch({
    shader: 'batch-norm-train',
    code,
    constants: { HAS_RESIDUAL: residual ? 1 : 0, RELU: activation === 'relu' ? 1 : 0 },
    ints: plan.encoded,
    floats: [epsilon],
    inputs: [x.buffer, gamma.buffer, beta.buffer, residual ? residual.buffer : rt.dummy],
    outputs: [y.buffer, mean.buffer, variance.buffer],
    workgroups: rt.itemGrid(plan.channels),
  });
  if (runningMean || runningVar) {
    const f = batchNormRunningFactors(plan, attrs.momentum);
    // An absent statistic binds a one-float buffer of its own (two writable bindings may not share the dummy).
    const temp = runningMean && runningVar ? undefined : rt.acquire(1);
    rt.dispatch({
      shader: 'batch-norm-running',
      code: runningCode,
      constants: { HAS_RUNNING_MEAN: runningMean ? 1 : 0, HAS_RUNNING_VAR: runningVar ? 1 : 0 },
      ints: [plan.channels],
      floats: [f.keep, f.mean, f.variance],
      inputs: [mean.buffer, variance.buffer],
      outputs: [(runningMean ?? temp)!.buffer, (runningVar ?? temp)!.buffer],
      workgroups: rt.grid(plan.channels),
    });
    if (temp) rt.release(temp);
  }
  return [y, mean, variance];
};
