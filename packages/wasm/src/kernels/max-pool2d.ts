import { sizeOf, type KernelFn } from '@stridenet/core';
import { poolRowFloats, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkPool2dPlan } from '../checks/plans.js';

/** One channel plane per work unit; each thread keeps one padded row buffer in scratch. */
export const maxPool2d: KernelFn<WasmHandle, 'MaxPool2D'> = (inputs, attrs) => {
  const plan = checkPool2dPlan('MaxPool2D', attrs);
  return launch('MaxPool2D', inputs, { x: sizeOf(plan.inShape) }, (k) => {
    const y = k.output(sizeOf(plan.outShape));
    const frame = k.frame([k.ptr.x, k.addr(y)], plan.encoded);
    k.run('maxPool2d', frame, plan.batch * plan.channels, {
      scratchBytes: poolRowFloats(plan) * 4,
      work: sizeOf(plan.inShape) + sizeOf(plan.outShape) * plan.windowWidth,
    });
    return y;
  });
};
