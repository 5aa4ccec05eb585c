import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/all-finite.wgsl';

/** Tensors a dispatch: the storage bindings left beside the flag. */
const PER_DISPATCH = 4;

/** [1] flag uploaded as 1, cleared by any dispatch that meets NaN or ±Inf; every dispatch in one batch. */
export const AllFinite: KernelFn<WebGpuHandle, 'AllFinite'> = ({ xs }, { plan }) => {
  const rt = xs[0]!.runtime;
  const flag = rt.upload(Float32Array.of(1));
  for (let t = 0; t < xs.length; t += PER_DISPATCH) {
    const group = xs.slice(t, t + PER_DISPATCH);
    const sizes = plan.sizes.slice(t, t + PER_DISPATCH);
    while (sizes.length < PER_DISPATCH) sizes.push(0);
    rt.dispatch({
      shader: 'all-finite',
      code,
      ints: sizes,
      // Unused slots repeat the first tensor (read-only bindings may alias) with size 0.
      inputs: Array.from({ length: PER_DISPATCH }, (_, i) => (group[i] ?? group[0]!).buffer),
      outputs: [flag.buffer],
      workgroups: rt.grid(sizes.reduce((a, b) => a + b, 0)),
    });
  }
  return flag;
};
