import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/concat.wgsl';

/** One copy dispatch per input into its column block; all land in the same batch. */
export const Concat: KernelFn<WebGpuHandle, 'Concat'> = ({ xs }, { plan }) => {
  const rt = xs[0]!.runtime;
  const rowSize = plan.blockSizes.reduce((a, b) => a + b, 0);
  const y = rt.acquire(plan.outer * rowSize);
  let offset = 0;
  xs.forEach((x, i) => {
    const blockSize = plan.blockSizes[i]!;
    rt.dispatch({
      shader: 'concat',
      code,
      ints: [plan.outer, blockSize, rowSize, offset],
      inputs: [x.buffer],
      outputs: [y.buffer],
      workgroups: rt.grid(plan.outer * blockSize),
    });
    offset += blockSize;
  });
  return y;
};
