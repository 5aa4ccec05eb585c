import { sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';
import { activationFlag } from '../checks/attrs.js';
import { launch, optional } from '../checks/call.js';
import { checkMatMulPlan } from '../checks/plans.js';

/** Tile of C per work unit: MC rows (a multiple of MR) by NC columns. */
const MC = 64;
const NC = 256;

export const matMul: KernelFn<WasmHandle, 'MatMul'> = (inputs, attrs) => {
  const plan = checkMatMulPlan('MatMul', attrs);
  const relu = activationFlag('MatMul', attrs.activation);
  const { m, n, k: depth } = plan;
  return launch('MatMul', inputs, { a: m * depth, b: depth * n, bias: optional(n) }, (k) => {
    const c = k.output(sizeOf(plan.outShape));
    const packed = k.scratch(Math.ceil(m / MR) * MR * depth * 4);
    const frame = k.frame([k.ptr.a, k.ptr.b, k.ptr.bias, k.addr(c), relu, NC, packed, MC], plan.encoded);
    k.run('matMulPackA', frame, Math.ceil(depth / KC), { work: m * depth });
    k.run('matMul', frame, Math.ceil(m / MC) * Math.ceil(n / NC), {
      scratchBytes: (KC * NC + TILE_FLOATS) * 4,
      work: m * n * depth,
      grain: 1,
    });
    return c;
  });
};
