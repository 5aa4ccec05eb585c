import { ArgumentError, type KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';
import { activationFlag, opName } from '../checks/attrs.js';
import { launch, optional } from '../checks/call.js';
import { batchNormAttrs } from './batch-norm-train.js';

/** One channel per work unit; with a fused relu, dy is masked by the forward output y. */
export const batchNormGrad: KernelFn<WasmHandle, 'BatchNormGrad'> = (inputs, attrs) => {
  const { plan, size, epsilon } = batchNormAttrs('BatchNormGrad', attrs);
  const relu = activationFlag('BatchNormGrad', attrs.activation) === 1;
  if (relu && inputs.y === undefined) throw new ArgumentError(opName('BatchNormGrad'), "input 'y'", 'absent', "the forward output (activation 'relu' masks dy by y > 0)");
  const c = plan.channels;
  return launch('BatchNormGrad', inputs, { dy: size, x: size, gamma: c, mean: c, variance: c, y: optional(size) }, (k) => {
    const dx = k.output(size);
    const dgamma = k.output(c);
    const dbeta = k.output(c);
    const p = k.ptr;
    const frame = k.frame([p.dy, p.x, p.gamma, p.mean, p.variance, k.addr(dx), k.addr(dgamma), k.addr(dbeta), f32(epsilon), relu ? p.y : 0], plan.encoded);
    k.run('batchNormGrad', frame, c, { work: size * 4 });
    return [dx, dgamma, dbeta];
  });
};
