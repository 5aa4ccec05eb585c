import { conv2dMacs, sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';

/** Output positions per GEMM block; the column buffer is depth x NC floats per thread. */
const NC = 128;

export const conv2dBackpropInput: KernelFn<WasmHandle, 'Conv2DBackpropInput'> = ({ dy, filter }, { plan }) => {
  const rt = dy.runtime;
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  const dx = rt.alloc(sizeOf(plan.inShape));
  const packed = rt.scratch(groups * Math.ceil(depth / MR) * MR * perGroupOut * 4);
  const frame = rt.frame([dy.ptr, filter.ptr, 0, dx.ptr, 0, NC, packed], plan.encoded);
  try {
    rt.run('conv2dBackpropInputPackFilter', frame, groups, { work: plan.outChannels * depth });
    // Units are (image, group): each owns its slice of dx, so col2im's scatter-adds never race.
    rt.run('conv2dBackpropInput', frame, plan.batch * groups, {
      scratchBytes: (KC * NC + depth * NC + TILE_FLOATS) * 4,
      work: conv2dMacs(plan),
      grain: 1,
    });
  } finally {
    rt.release(frame);
    rt.release(packed);
  }
  return dx;
};
