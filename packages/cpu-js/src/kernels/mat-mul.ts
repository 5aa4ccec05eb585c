import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { gemm, view } from '../gemm.js';

export const MatMul: KernelFn<Float32Array, 'MatMul'> = ({ a, b, bias }, { plan, activation }) => {
  const { m, n, k, transposeA, transposeB } = plan;
  const c = alloc(m * n);
  gemm(m, n, k, view(a, 0, m, k, transposeA), view(b, 0, k, n, transposeB), c, 0, n, false, {
    biasCol: bias ?? null,
    relu: activation === 'relu',
  });
  return c;
};
