import type { KernelFn } from '@stridenet/core';
import { addon, one } from '../addon.js';
import type { NativeHandle } from '../handle.js';

/** c = act(op(a) op(b) + bias) by packed GEMM for the runtime ISA. C++: src/native/kernels/mat-mul.cc. */
export const MatMul: KernelFn<NativeHandle, 'MatMul'> = ({ a, b, bias }, { plan, activation }) =>
  one('MatMul', addon().run('MatMul', [a, b, bias ?? null], plan.encoded, [activation === 'relu' ? 1 : 0]));
