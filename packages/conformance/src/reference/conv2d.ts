/**
 * Float64 reference for Conv2D and its two backward kernels: the textbook loops over every
 * output cell and every filter tap, reading the plan's numbers and nothing else.
 */
import type { Conv2dPlan, FusedActivation } from '@stridenet/core';

type Values = ArrayLike<number>;

/** Calls visit(xIndex, filterIndex, yIndex) for every (output cell, filter tap) pair that reads inside the input. */
function forEachTap(p: Conv2dPlan, visit: (xi: number, wi: number, yi: number) => void): void {
  const cg = p.inChannels / p.groups;
  const og = p.outChannels / p.groups;
  for (let n = 0; n < p.batch; n++) {
    for (let o = 0; o < p.outChannels; o++) {
      const g = Math.floor(o / og);
      for (let oh = 0; oh < p.outHeight; oh++) {
        for (let ow = 0; ow < p.outWidth; ow++) {
          const yi = ((n * p.outChannels + o) * p.outHeight + oh) * p.outWidth + ow;
          for (let c = 0; c < cg; c++) {
            for (let kh = 0; kh < p.kernelHeight; kh++) {
              const ih = oh * p.strideHeight - p.padTop + kh * p.dilationHeight;
              if (ih < 0 || ih >= p.inHeight) continue;
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const iw = ow * p.strideWidth - p.padLeft + kw * p.dilationWidth;
                if (iw < 0 || iw >= p.inWidth) continue;
                const xi = ((n * p.inChannels + g * cg + c) * p.inHeight + ih) * p.inWidth + iw;
                const wi = ((o * cg + c) * p.kernelHeight + kh) * p.kernelWidth + kw;
                visit(xi, wi, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** act(conv(x, filter) + bias + residual), residual of the output shape. */
export function conv2d(
  x: Values,
  filter: Values,
  bias: Values | undefined,
  plan: Conv2dPlan,
  activation: FusedActivation = 'linear',
  residual?: Values,
): Float64Array {
  const [n, o, h, w] = plan.outShape;
  const y = new Float64Array(n * o * h * w);
  forEachTap(plan, (xi, wi, yi) => {
    y[yi] += x[xi]! * filter[wi]!;
  });
  const hw = h * w;
  for (let i = 0; i < y.length; i++) {
    if (bias) y[i] += bias[Math.floor(i / hw) % o]!;
    if (residual) y[i] += residual[i]!;
    if (activation === 'relu' && !(y[i]! > 0) && !Number.isNaN(y[i])) y[i] = 0;
  }
  return y;
}

export function conv2dBackpropInput(dy: Values, filter: Values, plan: Conv2dPlan): Float64Array {
  const dx = new Float64Array(plan.inShape.reduce((a, b) => a * b, 1));
  forEachTap(plan, (xi, wi, yi) => {
    dx[xi] += filter[wi]! * dy[yi]!;
  });
  return dx;
}

export function conv2dBackpropFilter(x: Values, dy: Values, plan: Conv2dPlan): Float64Array {
  const dw = new Float64Array(plan.filterShape.reduce((a, b) => a * b, 1));
  forEachTap(plan, (xi, wi, yi) => {
    dw[wi] += x[xi]! * dy[yi]!;
  });
  return dw;
}
