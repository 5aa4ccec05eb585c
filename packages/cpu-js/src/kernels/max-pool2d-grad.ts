import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { argmax2x2, isPlain2x2, windowArgmax, windowBounds } from './max-pool2d.js';

/** dx[argmax of each window] += dy; the argmax is recomputed from x with the forward's tie rule. */
export const MaxPool2DGrad: KernelFn<Float32Array, 'MaxPool2DGrad'> = ({ dy, x }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = plan;
  const dx = alloc(batch * channels * H * W);
  if (isPlain2x2(plan)) {
    let o = 0;
    for (let nc = 0; nc < batch * channels; nc++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0, i = (nc * H + 2 * oh) * W; ow < OW; ow++, o++, i += 2) dx[argmax2x2(x, i, W)] += dy[o]!;
      }
    }
    return dx;
  }
  const { h0, h1, w0, w1 } = windowBounds(plan);
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const plane = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const a = h0[oh]!;
      const b = h1[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const at = windowArgmax(x, plane, W, a, b, w0[ow]!, w1[ow]!);
        if (at >= 0) dx[at] += dy[o]!;
      }
    }
  }
  return dx;
};
