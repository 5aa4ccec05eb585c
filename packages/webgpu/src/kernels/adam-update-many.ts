import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/adam-update-many.wgsl';
import { AdamUpdate, adamWords } from './adam-update.js';

/** Two tensors a dispatch (all 8 storage bindings), a last odd one through AdamUpdate; all in one batch. */
export const AdamUpdateMany: KernelFn<WebGpuHandle, 'AdamUpdateMany'> = ({ params, grads, ms, vs }, { plan, ...attrs }) => {
  const rt = params[0]!.runtime;
  const sizes = plan.sizes;
  let t = 0;
  for (; t + 1 < sizes.length; t += 2) {
    rt.dispatch({
      shader: 'adam-update-many',
      code,
      prelude: 'adam',
      ...adamWords([sizes[t]!, sizes[t + 1]!], attrs),
      inputs: [grads[t]!.buffer, grads[t + 1]!.buffer],
      outputs: [params[t]!.buffer, ms[t]!.buffer, vs[t]!.buffer, params[t + 1]!.buffer, ms[t + 1]!.buffer, vs[t + 1]!.buffer],
      workgroups: rt.grid(sizes[t]! + sizes[t + 1]!),
    });
  }
  if (t < sizes.length) AdamUpdate({ param: params[t]!, grad: grads[t]!, m: ms[t]!, v: vs[t]! }, { ...attrs, size: sizes[t]! });
};
