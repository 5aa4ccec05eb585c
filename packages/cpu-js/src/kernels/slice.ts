import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** Copies runs along the last axis; the other axes advance like an odometer. */
export const Slice: KernelFn<Float32Array, 'Slice'> = ({ x }, { plan }) => {
  const { rank, inShape, begin, outShape } = plan;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= inShape[d]!;
  }
  let size = 1;
  for (const d of outShape) size *= d;
  const y = alloc(size);
  const run = outShape[rank - 1]!;
  let src = 0;
  for (let d = 0; d < rank; d++) src += begin[d]! * inStrides[d]!;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < size; o += run) {
    y.set(x.subarray(src, src + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]! += 1;
      src += inStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= inStrides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return y;
};
