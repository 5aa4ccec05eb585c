import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Per-channel sum of dy. C++: src/native/kernels/bias-add-grad.cc. */
export const BiasAddGrad: KernelFn<NativeHandle, 'BiasAddGrad'> = ({ dy }, { plan }) => one('BiasAddGrad', addon().run('BiasAddGrad', [dy], plan.encoded, []));
