import type { KernelFn, SgdManyAttrs } from '@stridenet/core';
import { CHUNK, f32, type FrameArg, type WasmHandle } from '../runtime.js';
import { checkBoolAttr, checkFiniteAttr, checkSize } from '../checks/attrs.js';
import { launch } from '../checks/call.js';

const K = 'SgdUpdate';

/** Frame slots 3 to 6 of sgdUpdate and sgdUpdateMany: lr, momentum, nesterov, weightDecay, checked. */
export function sgdSettings(kernel: string, attrs: Omit<SgdManyAttrs, 'plan'>): FrameArg[] {
  const lr = checkFiniteAttr(kernel, 'lr', attrs.lr);
  const momentum = checkFiniteAttr(kernel, 'momentum', attrs.momentum);
  const weightDecay = checkFiniteAttr(kernel, 'weightDecay', attrs.weightDecay);
  const nesterov = checkBoolAttr(kernel, 'nesterov', attrs.nesterov);
  return [f32(lr), f32(momentum), nesterov ? 1 : 0, f32(weightDecay)];
}

/** In place on param and velocity. */
export const sgdUpdate: KernelFn<WasmHandle, 'SgdUpdate'> = (inputs, attrs) => {
  const size = checkSize(K, attrs);
  const settings = sgdSettings(K, attrs);
  launch(K, inputs, { param: size, grad: size, velocity: size }, (k) => {
    const { param, grad, velocity } = k.ptr;
    const frame = k.frame([param, grad, velocity, ...settings, size]);
    k.run('sgdUpdate', frame, Math.ceil(size / CHUNK), { work: size * 4 });
  });
};
