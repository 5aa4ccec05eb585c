import { conv2dMacs, sizeOf, type Conv2dPlan, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';

/** Target output positions per GEMM column block (a packed B block of about KC x NC floats per thread). */
const NC = 256;
/** Output rows at least this long are packed as runs of v128 copies; shorter ones by a gathered table. */
const MIN_RUN = 8;

const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;

/** Column blocking and per-thread scratch layout, read by assembly/kernels/conv2d.ts from the frame. */
export function conv2dBlocking(plan: Conv2dPlan): { ncb: number; imagesPerBlock: number; units: number; scratchBytes: number; cOff: number; tOff: number } {
  const outPositions = plan.outHeight * plan.outWidth;
  let ncb: number;
  let imagesPerBlock = 0;
  let blocks: number;
  if (outPositions >= NC || plan.batch === 1) {
    // Equal blocks within each image, a multiple of the panel width.
    const perImage = Math.ceil(outPositions / NC);
    ncb = roundUp(Math.ceil(outPositions / perImage), 8);
    blocks = plan.batch * Math.ceil(outPositions / ncb);
  } else {
    // Small images: whole images per block, spread evenly over the blocks.
    const total = Math.ceil((plan.batch * outPositions) / NC);
    imagesPerBlock = Math.ceil(plan.batch / total);
    ncb = imagesPerBlock * outPositions;
    blocks = Math.ceil(plan.batch / imagesPerBlock);
  }
  const gather = !((plan.strideWidth === 1 || plan.strideWidth === 2) && plan.outWidth >= MIN_RUN);
  const panelFloats = (KC + 1) * roundUp(ncb, 8);
  let bytes = roundUp((panelFloats + TILE_FLOATS) * 4, 64);
  let cOff = 0;
  let tOff = 0;
  if (imagesPerBlock > 0) {
    cOff = bytes;
    bytes += roundUp((plan.outChannels / plan.groups) * ncb * 4, 64);
  }
  if (gather) {
    tOff = bytes;
    bytes += roundUp(3 * ncb * 4, 64);
  }
  return { ncb, imagesPerBlock, units: plan.groups * blocks, scratchBytes: bytes, cOff, tOff };
}

export const conv2d: KernelFn<WasmHandle, 'Conv2D'> = ({ x, filter, bias }, { plan, activation }) => {
  const rt = x.runtime;
  const groups = plan.groups;
  const perGroupOut = plan.outChannels / groups;
  const depth = (plan.inChannels / groups) * plan.kernelHeight * plan.kernelWidth;
  const y = rt.alloc(sizeOf(plan.outShape));
  const packed = rt.scratch(groups * Math.ceil(perGroupOut / MR) * MR * depth * 4);
  const b = conv2dBlocking(plan);
  const frame = rt.frame(
    [x.ptr, filter.ptr, bias?.ptr ?? 0, y.ptr, activation === 'relu' ? 1 : 0, b.ncb, packed, b.imagesPerBlock, b.cOff, b.tOff],
    plan.encoded,
  );
  try {
    rt.run('conv2dPackFilter', frame, groups, { work: plan.outChannels * depth });
    rt.run('conv2d', frame, b.units, { scratchBytes: b.scratchBytes, work: conv2dMacs(plan) });
  } finally {
    rt.release(frame);
    rt.release(packed);
  }
  return y;
};
