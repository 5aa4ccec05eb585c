import { conv2dMacs, sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';

/** Output positions per work unit: one packed B block of KC x NC floats (256 KiB) per thread. */
const NC = 256;

export const conv2d: KernelFn<WasmHandle, 'Conv2D'> = ({ x, filter, bias }, { plan, activation }) => {
  const rt = x.runtime;
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  const outPositions = plan.outHeight * plan.outWidth;
  const y = rt.alloc(sizeOf(plan.outShape));
  const packed = rt.scratch(groups * Math.ceil(perGroupOut / MR) * MR * depth * 4);
  const frame = rt.frame([x.ptr, filter.ptr, bias?.ptr ?? 0, y.ptr, activation === 'relu' ? 1 : 0, NC, packed], plan.encoded);
  try {
    rt.run('conv2dPackFilter', frame, groups, { work: plan.outChannels * depth });
    rt.run('conv2d', frame, plan.batch * groups * Math.ceil(outPositions / NC), {
      scratchBytes: (KC * NC + TILE_FLOATS) * 4,
      work: conv2dMacs(plan),
    });
  } finally {
    rt.release(frame);
    rt.release(packed);
  }
  return y;
};
