import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkChannelPlan } from '../checks/plans.js';

/** One (outer, channel) row per work unit. */
export const biasAdd: KernelFn<WasmHandle, 'BiasAdd'> = (inputs, attrs) => {
  const plan = checkChannelPlan('BiasAdd', attrs);
  const size = plan.outer * plan.channels * plan.inner;
  return launch('BiasAdd', inputs, { x: size, bias: plan.channels }, (k) => {
    const y = k.output(size);
    const frame = k.frame([k.ptr.x, k.ptr.bias, k.addr(y)], plan.encoded);
    k.run('biasAdd', frame, plan.outer * plan.channels, { work: size });
    return y;
  });
};
