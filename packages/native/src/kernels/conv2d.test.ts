import { describe, expect, it } from 'vitest';
import { planConv2d, type Conv2dOptions } from '@stridenet/core';
import * as R from '@stridenet/conformance/reference';
import { maxRelError, random } from '../testing/values.js';
import { useBackend } from '../testing/backend.js';

const { b, up, get } = useBackend();

const cases: { name: string; x: number[]; w: number[]; o: Conv2dOptions }[] = [
  { name: '3x3 pad 1', x: [2, 5, 9, 11], w: [7, 5, 3, 3], o: { padding: 1 } },
  { name: 'pointwise 1x1', x: [3, 17, 6, 5], w: [19, 17, 1, 1], o: {} },
  { name: 'stride 2, same, 5x5', x: [1, 3, 13, 12], w: [4, 3, 5, 5], o: { stride: 2, padding: 'same' } },
  { name: 'dilation 2, asymmetric pads', x: [2, 2, 10, 9], w: [3, 2, 3, 2], o: { dilation: [2, 1], padding: [1, 0, 2, 1] } },
  { name: 'groups 2', x: [2, 4, 7, 7], w: [6, 2, 3, 3], o: { groups: 2, padding: 1 } },
  { name: 'depthwise stride 2', x: [3, 5, 8, 8], w: [5, 1, 3, 3], o: { groups: 5, stride: 2, padding: 1 } },
  { name: 'deep K crossing GEMM blocks', x: [1, 40, 6, 6], w: [13, 40, 3, 3], o: { padding: 1 } },
];

describe('Conv2D and its gradients vs float64 loops', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planConv2d(c.x, c.w, c.o);
      const x = random(plan.inShape.reduce((a, d) => a * d), 3);
      const w = random(plan.filterShape.reduce((a, d) => a * d), 5);
      const bias = random(plan.outChannels, 7);
      const hx = up(x);
      const hw = up(w);
      const hb = up(bias);
      const y = get(b().kernels.Conv2D({ x: hx, filter: hw, bias: hb }, { plan, activation: 'relu' }));
      expect(maxRelError(y, R.conv2d(x, w, bias, plan, 'relu'))).toBeLessThan(1e-5);
      const y2 = get(b().kernels.Conv2D({ x: hx, filter: hw }, { plan, activation: 'linear' }));
      expect(maxRelError(y2, R.conv2d(x, w, undefined, plan))).toBeLessThan(1e-5);

      const dy = random(plan.outShape.reduce((a, d) => a * d), 11);
      const hdy = up(dy);
      const y3 = get(b().kernels.Conv2D({ x: hx, filter: hw, bias: hb, residual: hdy }, { plan, activation: 'relu' }));
      expect(maxRelError(y3, R.conv2d(x, w, bias, plan, 'relu', dy))).toBeLessThan(1e-5);
      const dx = get(b().kernels.Conv2DBackpropInput({ dy: hdy, filter: hw }, { plan }));
      expect(maxRelError(dx, R.conv2dBackpropInput(dy, w, plan))).toBeLessThan(1e-5);
      const dw = get(b().kernels.Conv2DBackpropFilter({ x: hx, dy: hdy }, { plan }));
      expect(maxRelError(dw, R.conv2dBackpropFilter(x, dy, plan))).toBeLessThan(1e-4);
      for (const h of [hx, hw, hb, hdy]) b().free(h);
      expect(b().memory().buffers).toBe(0);
    });
  }

  it('runs the same on one thread as on the pool', async () => {
    const { createNativeBackend } = await import('../index.js');
    const single = await createNativeBackend({ threads: 1 });
    const plan = planConv2d([3, 6, 9, 9], [8, 6, 3, 3], { padding: 1 });
    const x = random(3 * 6 * 81, 1);
    const w = random(8 * 6 * 9, 2);
    const y1 = single.readSync!(single.kernels.Conv2D({ x: single.upload(x), filter: single.upload(w) }, { plan, activation: 'linear' }));
    const y2 = get(b().kernels.Conv2D({ x: up(x), filter: up(w) }, { plan, activation: 'linear' }));
    expect(maxRelError(y1, y2)).toBeLessThan(1e-6);
    await single.dispose?.();
  });
});
