import { sizeOf, type KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { launch } from '../checks/call.js';
import { checkSlicePlan } from '../checks/plans.js';

/** One output row (every axis but the last) per work unit. */
export const slice: KernelFn<WasmHandle, 'Slice'> = (inputs, attrs) => {
  const plan = checkSlicePlan('Slice', attrs);
  const size = sizeOf(plan.outShape);
  return launch('Slice', inputs, { x: sizeOf(plan.inShape) }, (k) => {
    const y = k.output(size);
    const frame = k.frame([k.ptr.x, k.addr(y)], plan.encoded);
    k.run('slice', frame, size / plan.outShape[plan.rank - 1]!, { work: size });
    return y;
  });
};
