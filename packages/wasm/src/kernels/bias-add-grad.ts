import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkChannelPlan } from '../checks/plans.js';

/** One channel per work unit. */
export const biasAddGrad: KernelFn<WasmHandle, 'BiasAddGrad'> = (inputs, attrs) => {
  const plan = checkChannelPlan('BiasAddGrad', attrs);
  const size = plan.outer * plan.channels * plan.inner;
  return launch('BiasAddGrad', inputs, { dy: size }, (k) => {
    const db = k.output(plan.channels);
    const frame = k.frame([k.ptr.dy, k.addr(db)], plan.encoded);
    k.run('biasAddGrad', frame, plan.channels, { work: size });
    return db;
  });
};
