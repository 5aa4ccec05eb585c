import { planReduce, type KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/conv2d-backprop-filter.wgsl';
import { Reduce } from './reduce.js';

/** Workgroups worth keeping busy before the summed dimension is split (a GPU has ~100 cores). */
const TARGET_WORKGROUPS = 256;
/** Shortest chunk of the summed dimension worth its own workgroup. */
const MIN_CHUNK = 512;
const MAX_SPLITS = 64;

/**
 * Implicit GEMM over [outChannels/groups] x [(inChannels/groups)*kernelHeight*kernelWidth], summing
 * batch*outHeight*outWidth. That sum is long and the filter small (9 tiles for 3x3 64->64), so it is
 * split into chunks whose partial filters one Reduce adds up.
 */
export const Conv2DBackpropFilter: KernelFn<WebGpuHandle, 'Conv2DBackpropFilter'> = ({ x, dy }, { plan }) => {
  const rt = x.runtime;
  const [o, ci, kh, kw] = plan.filterShape;
  const size = o * ci * kh * kw;
  const ksum = plan.batch * plan.outHeight * plan.outWidth;
  const tiles = Math.ceil((ci * kh * kw) / 64) * Math.ceil(o / plan.groups / 64) * plan.groups;
  const maxZ = Math.floor(rt.limits.maxComputeWorkgroupsPerDimension / plan.groups);
  // The partial filters must fit one storage binding too.
  const maxFit = Math.floor(rt.limits.maxStorageBufferBindingSize / (4 * size));
  const splits = Math.max(1, Math.min(MAX_SPLITS, maxZ, maxFit, Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(ksum / MIN_CHUNK)));
  // Chunks are whole 16-deep tiles.
  const kChunk = Math.ceil(ksum / splits / 16) * 16;
  const used = Math.ceil(ksum / kChunk);
  const partial = rt.acquire(size * used);
  rt.dispatch({
    shader: 'conv2d-backprop-filter',
    code,
    ints: [...plan.encoded, kChunk, used],
    inputs: [x.buffer, dy.buffer],
    outputs: [partial.buffer],
    workgroups: [Math.ceil((ci * kh * kw) / 64), Math.ceil(o / plan.groups / 64), plan.groups * used],
  });
  if (used === 1) return partial;
  const dfilter = Reduce({ x: partial }, { op: 'sum', plan: planReduce(1, used, size) });
  rt.release(partial);
  return dfilter;
};
