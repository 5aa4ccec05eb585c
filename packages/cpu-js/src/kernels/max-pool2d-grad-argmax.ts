import type { KernelFn } from '@stridenet/core';
import { alloc } from '../buffers.js';

/**
 * dx[cell named by each window's argmax tap] += dy, windows in output order (as MaxPool2DGrad adds them, so
 * the sums agree bit for bit). A code naming no input cell (-1, a padding tap, not an integer tap) adds nothing.
 */
export const MaxPool2DGradArgmax: KernelFn<Float32Array, 'MaxPool2DGradArgmax'> = ({ dy, argmax }, { plan }) => {
  const { batch, channels, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, windowWidth: KW } = plan;
  const taps = plan.windowHeight * KW;
  const dx = alloc(batch * channels * H * W);
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const plane = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * plan.strideHeight - plan.padTop;
      for (let ow = 0; ow < OW; ow++, o++) {
        const t = argmax[o]!;
        if (!(t >= 0 && t < taps) || t !== Math.floor(t)) continue;
        const kh = Math.floor(t / KW);
        const ih = hs + kh;
        const iw = ow * plan.strideWidth - plan.padLeft + (t - kh * KW);
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) dx[plane + ih * W + iw] += dy[o]!;
      }
    }
  }
  return dx;
};
