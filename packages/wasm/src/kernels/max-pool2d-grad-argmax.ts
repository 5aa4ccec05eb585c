import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkPool2dPlan } from '../checks/plans.js';

/** One channel plane per work unit, so the scatter into dx never races. */
export const maxPool2dGradArgmax: KernelFn<WasmHandle, 'MaxPool2DGradArgmax'> = (inputs, attrs) => {
  const plan = checkPool2dPlan('MaxPool2DGradArgmax', attrs);
  return launch('MaxPool2DGradArgmax', inputs, { dy: sizeOf(plan.outShape), argmax: sizeOf(plan.outShape) }, (k) => {
    const dx = k.output(sizeOf(plan.inShape));
    const frame = k.frame([k.ptr.dy, k.ptr.argmax, k.addr(dx)], plan.encoded);
    k.run('maxPool2dGradArgmax', frame, plan.batch * plan.channels, { work: sizeOf(plan.inShape) + sizeOf(plan.outShape) });
    return dx;
  });
};
