import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/sgd-update-many.wgsl';
import { SgdUpdate, sgdWords } from './sgd-update.js';

/** Two tensors a dispatch (the storage bindings allow no more), a last odd one through SgdUpdate; all in one batch. */
export const SgdUpdateMany: KernelFn<WebGpuHandle, 'SgdUpdateMany'> = ({ params, grads, velocities }, { plan, ...attrs }) => {
  const rt = params[0]!.runtime;
  const { ints, floats } = sgdWords(attrs);
  const sizes = plan.sizes;
  let t = 0;
  for (; t + 1 < sizes.length; t += 2) {
    rt.dispatch({
      shader: 'sgd-update-many',
      code,
      prelude: 'sgd',
      ints: [sizes[t]!, sizes[t + 1]!, ...ints],
      floats,
      inputs: [grads[t]!.buffer, grads[t + 1]!.buffer],
      outputs: [params[t]!.buffer, velocities[t]!.buffer, params[t + 1]!.buffer, velocities[t + 1]!.buffer],
      workgroups: rt.grid(sizes[t]! + sizes[t + 1]!),
    });
  }
  if (t < sizes.length) SgdUpdate({ param: params[t]!, grad: grads[t]!, velocity: velocities[t]! }, { ...attrs, size: sizes[t]! });
};
