import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** Fills with `value`, then copies each last-axis run of the input to its shifted place. */
export const Pad: KernelFn<Float32Array, 'Pad'> = ({ x }, { plan, value }) => {
  const { rank, inShape, before, outShape } = plan;
  const outStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    outStrides[d] = s;
    s *= outShape[d]!;
  }
  const y = alloc(s);
  if (value !== 0) y.fill(value);
  let inSize = 1;
  for (const d of inShape) inSize *= d;
  const run = inShape[rank - 1]!;
  let dst = 0;
  for (let d = 0; d < rank; d++) dst += before[d]! * outStrides[d]!;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < inSize; i += run) {
    y.set(x.subarray(i, i + run), dst);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]! += 1;
      dst += outStrides[d]!;
      if (idx[d]! < inShape[d]!) break;
      dst -= outStrides[d]! * inShape[d]!;
      idx[d] = 0;
    }
  }
  return y;
};
