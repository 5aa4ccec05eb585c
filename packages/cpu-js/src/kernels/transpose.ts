import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/** Writes the output in order, reading the input through permuted strides. */
export const Transpose: KernelFn<Float32Array, 'Transpose'> = ({ x }, { plan }) => {
  const { rank, inShape, perm, outShape } = plan;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= inShape[d]!;
  }
  const size = s;
  const y = alloc(size);
  const strides = perm.map((p) => inStrides[p]!);
  const last = rank - 1;
  const run = outShape[last]!;
  const step = strides[last]!;
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < size; o += run) {
    for (let j = 0, at = src; j < run; j++, at += step) y[o + j] = x[at]!;
    for (let d = last - 1; d >= 0; d--) {
      idx[d]! += 1;
      src += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= strides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return y;
};
