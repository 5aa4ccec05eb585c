import type { KernelFn } from '@stridenet/core';
import { CHUNK, f32, type WasmHandle } from '../runtime.js';
import { checkBoolAttr, checkFiniteAttr, checkSize } from '../checks/attrs.js';
import { launch } from '../checks/call.js';

const K = 'SgdUpdate';

/** In place on param and velocity. */
export const sgdUpdate: KernelFn<WasmHandle, 'SgdUpdate'> = (inputs, attrs) => {
  const size = checkSize(K, attrs);
  const lr = checkFiniteAttr(K, 'lr', attrs.lr);
  const momentum = checkFiniteAttr(K, 'momentum', attrs.momentum);
  const weightDecay = checkFiniteAttr(K, 'weightDecay', attrs.weightDecay);
  const nesterov = checkBoolAttr(K, 'nesterov', attrs.nesterov);
  launch(K, inputs, { param: size, grad: size, velocity: size }, (k) => {
    const { param, grad, velocity } = k.ptr;
    const frame = k.frame([param, grad, velocity, f32(lr), f32(momentum), nesterov ? 1 : 0, f32(weightDecay), size]);
    k.run('sgdUpdate', frame, Math.ceil(size / CHUNK), { work: size * 4 });
  });
};
