import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/**
 * c = act(op(a) op(b) + bias) by packed GEMM for the runtime ISA; 1-8 rows by dot products, or with noGrad (no
 * gradient recorded) against b packed once and cached until it changes. C++: src/native/kernels/mat-mul.cc.
 */
export const MatMul: KernelFn<NativeHandle, 'MatMul'> = ({ a, b, bias }, { plan, activation, noGrad }) =>
  one('MatMul', addon().run('MatMul', [a, b, bias ?? null], plan.encoded, [activation === 'relu' ? 1 : 0, noGrad === true ? 1 : 0]));
