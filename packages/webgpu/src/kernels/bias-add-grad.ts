import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/bias-add-grad.wgsl';

/** One workgroup per channel reducing outer x inner in workgroup memory. */
export const BiasAddGrad: KernelFn<WebGpuHandle, 'BiasAddGrad'> = ({ dy }, { plan }) => {
  const rt = dy.runtime;
  const db = rt.acquire(plan.channels);
  rt.dispatch({ shader: 'bias-add-grad', code, ints: plan.encoded, inputs: [dy.buffer], outputs: [db.buffer], workgroups: rt.itemGrid(plan.channels) });
  return db;
};
