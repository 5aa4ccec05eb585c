import type { KernelFn } from '@stridenet/core';
import type { WasmHandle } from '../runtime.js';
import { checkBoolAttr } from '../checks/attrs.js';
import { launch } from '../checks/call.js';
import { checkRowsPlan } from '../checks/plans.js';

/** One row per work unit. */
export const softmax: KernelFn<WasmHandle, 'Softmax'> = (inputs, attrs) => {
  const plan = checkRowsPlan('Softmax', attrs);
  const log = checkBoolAttr('Softmax', 'log', attrs.log);
  const size = plan.rows * plan.cols;
  return launch('Softmax', inputs, { x: size }, (k) => {
    const y = k.output(size);
    const frame = k.frame([k.ptr.x, k.addr(y), log ? 1 : 0], plan.encoded);
    k.run('softmax', frame, plan.rows, { work: size * 8 });
    return y;
  });
};
