import type { KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { batchNormAttrs } from './batch-norm-train.js';

/** One channel per work unit. */
export const batchNormInference: KernelFn<WasmHandle, 'BatchNormInference'> = (inputs, attrs) => {
  const { plan, size, epsilon } = batchNormAttrs('BatchNormInference', attrs);
  const c = plan.channels;
  return launch('BatchNormInference', inputs, { x: size, gamma: c, beta: c, mean: c, variance: c }, (k) => {
    const y = k.output(size);
    const p = k.ptr;
    const frame = k.frame([p.x, p.gamma, p.beta, p.mean, p.variance, k.addr(y), f32(epsilon)], plan.encoded);
    k.run('batchNormInference', frame, c, { work: size });
    return y;
  });
};
