import { conv2dMacs, sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';

/** Filter-gradient columns (input channel x kernel cell) per work unit. */
const NC = 64;

export const conv2dBackpropFilter: KernelFn<WasmHandle, 'Conv2DBackpropFilter'> = ({ x, dy }, { plan }) => {
  const rt = x.runtime;
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  const dw = rt.alloc(sizeOf(plan.filterShape));
  const frame = rt.frame([x.ptr, dy.ptr, 0, dw.ptr, 0, NC], plan.encoded);
  try {
    rt.run('conv2dBackpropFilter', frame, groups * Math.ceil(depth / NC), {
      scratchBytes: (Math.ceil(perGroupOut / MR) * MR * KC + KC * NC + TILE_FLOATS) * 4,
      work: conv2dMacs(plan),
      grain: 1,
    });
  } finally {
    rt.release(frame);
  }
  return dw;
};
