import type { KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { batchNormAttrs } from './batch-norm-train.js';

/** One channel per work unit. */
export const batchNormGrad: KernelFn<WasmHandle, 'BatchNormGrad'> = (inputs, attrs) => {
  const { plan, size, epsilon } = batchNormAttrs('BatchNormGrad', attrs);
  const c = plan.channels;
  return launch('BatchNormGrad', inputs, { dy: size, x: size, gamma: c, mean: c, variance: c }, (k) => {
    const dx = k.output(size);
    const dgamma = k.output(c);
    const dbeta = k.output(c);
    const p = k.ptr;
    const frame = k.frame([p.dy, p.x, p.gamma, p.mean, p.variance, k.addr(dx), k.addr(dgamma), k.addr(dbeta), f32(epsilon)], plan.encoded);
    k.run('batchNormGrad', frame, c, { work: size * 4 });
    return [dx, dgamma, dbeta];
  });
};
