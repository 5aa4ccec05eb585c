import { sizeOf, type KernelFn } from '@stridenet/core';
import { poolRowFloats, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkPool2dPlan } from '../checks/plans.js';

/** One channel plane per work unit; each thread keeps column counts and one padded row buffer in scratch. */
export const avgPool2d: KernelFn<WasmHandle, 'AvgPool2D'> = (inputs, attrs) => {
  const plan = checkPool2dPlan('AvgPool2D', attrs);
  return launch('AvgPool2D', inputs, { x: sizeOf(plan.inShape) }, (k) => {
    const y = k.output(sizeOf(plan.outShape));
    const frame = k.frame([k.ptr.x, k.addr(y)], plan.encoded);
    k.run('avgPool2d', frame, plan.batch * plan.channels, {
      scratchBytes: (Math.ceil(plan.outWidth / 4) * 4 + poolRowFloats(plan)) * 4,
      work: sizeOf(plan.inShape) + sizeOf(plan.outShape) * plan.windowWidth,
    });
    return y;
  });
};
