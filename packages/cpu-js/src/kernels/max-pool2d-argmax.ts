import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';
import { argmax2x2, isPlain2x2, windowArgmax, windowBounds } from './max-pool2d.js';

/**
 * MaxPool2D plus each window's selected tap, kh * windowWidth + kw in the unclipped window (-1 for a window
 * without an input cell), found by the same windowArgmax / argmax2x2 as MaxPool2D and MaxPool2DGrad.
 */
export const MaxPool2DArgmax: KernelFn<Float32Array, 'MaxPool2DArgmax'> = ({ x }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, windowWidth: KW } = plan;
  const y = alloc(batch * channels * OH * OW);
  const argmax = alloc(y.length);
  if (isPlain2x2(plan)) {
    let o = 0;
    for (let nc = 0; nc < batch * channels; nc++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0, i = (nc * H + 2 * oh) * W; ow < OW; ow++, o++, i += 2) {
          const at = argmax2x2(x, i, W);
          y[o] = x[at]!;
          const d = at - i;
          argmax[o] = d < W ? d : d - W + 2;
        }
      }
    }
    return [y, argmax];
  }
  const { h0, h1, w0, w1 } = windowBounds(plan);
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const plane = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * plan.strideHeight - plan.padTop;
      for (let ow = 0; ow < OW; ow++, o++) {
        const at = windowArgmax(x, plane, W, h0[oh]!, h1[oh]!, w0[ow]!, w1[ow]!);
        if (at < 0) {
          y[o] = -Infinity;
          argmax[o] = -1;
          continue;
        }
        y[o] = x[at]!;
        const ih = Math.floor((at - plane) / W);
        argmax[o] = (ih - hs) * KW + (at - plane - ih * W) - (ow * plan.strideWidth - plan.padLeft);
      }
    }
  }
  return [y, argmax];
};
