import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkPool2dPlan } from '../checks/plans.js';

/** One channel plane per work unit, so the scatter into dx never races. */
export const maxPool2dGrad: KernelFn<WasmHandle, 'MaxPool2DGrad'> = (inputs, attrs) => {
  const plan = checkPool2dPlan('MaxPool2DGrad', attrs);
  return launch('MaxPool2DGrad', inputs, { dy: sizeOf(plan.outShape), x: sizeOf(plan.inShape) }, (k) => {
    const dx = k.output(sizeOf(plan.inShape));
    const frame = k.frame([k.ptr.dy, k.ptr.x, k.addr(dx)], plan.encoded);
    k.run('maxPool2dGrad', frame, plan.batch * plan.channels, { work: sizeOf(plan.outShape) * plan.windowHeight * plan.windowWidth });
    return dx;
  });
};
