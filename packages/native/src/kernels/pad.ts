import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** Constant padding. C++: src/native/kernels/pad.cc. */
export const Pad: KernelFn<NativeHandle, 'Pad'> = ({ x }, { plan, value }) => one('Pad', addon().run('Pad', [x], plan.encoded, [value]));
