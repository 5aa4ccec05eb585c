import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** x repeated along broadcast axes. C++: src/native/kernels/expand.cc. */
export const Expand: KernelFn<NativeHandle, 'Expand'> = ({ x }, { plan }) => one('Expand', addon().run('Expand', [x], plan.encoded, []));
