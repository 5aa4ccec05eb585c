import { sizeOf, type KernelFn } from '@stridenet/core';
import { KC, MR, TILE_FLOATS, type WasmHandle } from '../runtime.js';

/** Tile of C per work unit: MC rows (a multiple of MR) by NC columns. */
const MC = 64;
const NC = 256;

export const matMul: KernelFn<WasmHandle, 'MatMul'> = ({ a, b, bias }, { plan, activation }) => {
  const rt = a.runtime;
  const { m, n, k } = plan;
  const c = rt.alloc(sizeOf(plan.outShape));
  const packed = rt.scratch(Math.ceil(m / MR) * MR * k * 4);
  const frame = rt.frame([a.ptr, b.ptr, bias?.ptr ?? 0, c.ptr, activation === 'relu' ? 1 : 0, NC, packed, MC], plan.encoded);
  try {
    rt.run('matMulPackA', frame, Math.ceil(k / KC), { work: m * k });
    rt.run('matMul', frame, Math.ceil(m / MC) * Math.ceil(n / NC), {
      scratchBytes: (KC * NC + TILE_FLOATS) * 4,
      work: m * n * k,
      grain: 1,
    });
  } finally {
    rt.release(frame);
    rt.release(packed);
  }
  return c;
};
