import { conv2dMacs, sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkConv2dPlan } from '../checks/plans.js';

/** Output positions per GEMM block; the column buffer is depth x NC floats per thread. */
const NC = 128;

export const conv2dBackpropInput: KernelFn<WasmHandle, 'Conv2DBackpropInput'> = (inputs, attrs) => {
  const plan = checkConv2dPlan('Conv2DBackpropInput', attrs);
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  return launch('Conv2DBackpropInput', inputs, { dy: sizeOf(plan.outShape), filter: sizeOf(plan.filterShape) }, (k) => {
    const dx = k.output(sizeOf(plan.inShape));
    const packed = k.scratch(groups * Math.ceil(depth / MR) * MR * perGroupOut * 4);
    const frame = k.frame([k.ptr.dy, k.ptr.filter, 0, k.addr(dx), 0, NC, packed], plan.encoded);
    k.run('conv2dBackpropInputPackFilter', frame, groups, { work: plan.outChannels * depth });
    // Units are (image, group): each owns its slice of dx, so col2im's scatter-adds never race.
    k.run('conv2dBackpropInput', frame, plan.batch * groups, {
      scratchBytes: (KC * NC + depth * NC + TILE_FLOATS) * 4,
      work: conv2dMacs(plan),
      grain: 1,
    });
    return dx;
  });
};
