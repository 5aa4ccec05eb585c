import { sizeOf, type KernelFn } from '@stridenet/core';
import { f32, type WasmHandle } from '../runtime.js';
import { checkNumberAttr } from '../checks/attrs.js';
import { launch } from '../checks/call.js';
import { checkPadPlan } from '../checks/plans.js';

/** One output row (every axis but the last) per work unit. */
export const pad: KernelFn<WasmHandle, 'Pad'> = (inputs, attrs) => {
  const plan = checkPadPlan('Pad', attrs);
  const value = checkNumberAttr('Pad', 'value', attrs.value);
  const size = sizeOf(plan.outShape);
  return launch('Pad', inputs, { x: sizeOf(plan.inShape) }, (k) => {
    const y = k.output(size);
    const frame = k.frame([k.ptr.x, k.addr(y), f32(value)], plan.encoded);
    k.run('pad', frame, size / plan.outShape[plan.rank - 1]!, { work: size });
    return y;
  });
};
