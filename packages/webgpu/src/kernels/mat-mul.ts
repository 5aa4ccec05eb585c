import type { KernelFn } from '@stridenet/core';
import type { WebGpuHandle } from '../runtime.js';
import code from '../shaders/mat-mul.wgsl';

/**
 * Tiled GEMM, 64x64 output tiles; transposes are read in place (no copies). Row-major operands with
 * k and n multiples of 4 take the vec4-load entry point.
 */
export const MatMul: KernelFn<WebGpuHandle, 'MatMul'> = ({ a, b, bias }, { plan, activation }) => {
  const rt = a.runtime;
  const c = rt.acquire(plan.m * plan.n);
  rt.dispatch({
    shader: 'mat-mul',
    code,
    entryPoint: !plan.transposeA && !plan.transposeB && plan.k % 4 === 0 && plan.n % 4 === 0 ? 'mainVec4' : 'main',
    constants: { HAS_BIAS: bias ? 1 : 0, RELU: activation === 'relu' ? 1 : 0 },
    ints: plan.encoded,
    inputs: [a.buffer, b.buffer, bias ? bias.buffer : rt.dummy],
    outputs: [c.buffer],
    workgroups: [Math.ceil(plan.n / 64), Math.ceil(plan.m / 64)],
  });
  return c;
};
