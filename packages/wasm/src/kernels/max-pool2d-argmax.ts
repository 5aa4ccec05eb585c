import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkPool2dPlan } from '../checks/plans.js';

/** One channel plane per work unit: y and each window's selected tap. */
export const maxPool2dArgmax: KernelFn<WasmHandle, 'MaxPool2DArgmax'> = (inputs, attrs) => {
  const plan = checkPool2dPlan('MaxPool2DArgmax', attrs);
  return launch('MaxPool2DArgmax', inputs, { x: sizeOf(plan.inShape) }, (k) => {
    const y = k.output(sizeOf(plan.outShape));
    const argmax = k.output(sizeOf(plan.outShape));
    const frame = k.frame([k.ptr.x, k.addr(y), k.addr(argmax)], plan.encoded);
    k.run('maxPool2dArgmax', frame, plan.batch * plan.channels, { work: sizeOf(plan.outShape) * plan.windowHeight * plan.windowWidth });
    return [y, argmax];
  });
};
