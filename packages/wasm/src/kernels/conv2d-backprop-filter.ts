import { conv2dMacs, sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkConv2dPlan } from '../checks/plans.js';

/** Filter-gradient columns (input channel x kernel cell) per work unit. */
const NC = 64;

export const conv2dBackpropFilter: KernelFn<WasmHandle, 'Conv2DBackpropFilter'> = (inputs, attrs) => {
  const plan = checkConv2dPlan('Conv2DBackpropFilter', attrs);
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  return launch('Conv2DBackpropFilter', inputs, { x: sizeOf(plan.inShape), dy: sizeOf(plan.outShape) }, (k) => {
    const dw = k.output(sizeOf(plan.filterShape));
    const frame = k.frame([k.ptr.x, k.ptr.dy, 0, k.addr(dw), 0, NC], plan.encoded);
    k.run('conv2dBackpropFilter', frame, groups * Math.ceil(depth / NC), {
      scratchBytes: (Math.ceil(perGroupOut / MR) * MR * KC + KC * NC + TILE_FLOATS) * 4,
      work: conv2dMacs(plan),
      grain: 1,
    });
    return dw;
  });
};
