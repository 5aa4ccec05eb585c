import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkPool2dPlan } from '../checks/plans.js';

/** One channel plane per work unit, so the scatter into dx never races. */
export const avgPool2dGrad: KernelFn<WasmHandle, 'AvgPool2DGrad'> = (inputs, attrs) => {
  const plan = checkPool2dPlan('AvgPool2DGrad', attrs);
  return launch('AvgPool2DGrad', inputs, { dy: sizeOf(plan.outShape) }, (k) => {
    const dx = k.output(sizeOf(plan.inShape));
    const frame = k.frame([k.ptr.dy, k.addr(dx)], plan.encoded);
    k.run('avgPool2dGrad', frame, plan.batch * plan.channels, { work: sizeOf(plan.outShape) * plan.windowHeight * plan.windowWidth });
    return dx;
  });
};
