import { describe, expect, it } from 'vitest';
import { kernels } from './kernels/index.js';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) => b.forEach((v, i) => expect(Math.abs(a[i]! - v)).toBeLessThan(tol * (1 + Math.abs(v))));

describe('optimizer updates (PyTorch semantics, reference loop in float64)', () => {
  for (const nesterov of [false, true]) {
    it(`SGD momentum 0.9, weight decay 0.01, nesterov ${nesterov}, three steps`, () => {
      const param = new Float32Array([1, -2, 0.5]);
      const velocity = new Float32Array(3);
      const grads = [[0.1, 0.2, -0.3], [0.5, -0.1, 0], [-0.2, 0.3, 0.1]];
      const p = [1, -2, 0.5];
      const v = [0, 0, 0];
      for (const g of grads) {
        kernels.SgdUpdate({ param, grad: Float32Array.from(g), velocity }, { size: 3, lr: 0.1, momentum: 0.9, nesterov, weightDecay: 0.01 });
        for (let i = 0; i < 3; i++) {
          const d = g[i]! + 0.01 * p[i]!;
          v[i] = 0.9 * v[i]! + d;
          p[i] -= 0.1 * (nesterov ? d + 0.9 * v[i]! : v[i]!);
        }
      }
      close(param, p);
      close(velocity, v);
    });
  }

  for (const decoupled of [false, true]) {
    it(`${decoupled ? 'AdamW' : 'Adam'} three steps with weight decay`, () => {
      const param = new Float32Array([1, -2, 0.5]);
      const m = new Float32Array(3);
      const v = new Float32Array(3);
      const grads = [[0.1, 0.25, -0.3], [0.5, -0.1, 0], [-0.2, 0.3, 0.1]];
      const p = [1, -2, 0.5];
      const mr = [0, 0, 0];
      const vr = [0, 0, 0];
      const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.999, 1e-8, 0.1];
      grads.forEach((g, t) => {
        const step = t + 1;
        kernels.AdamUpdate({ param, grad: Float32Array.from(g), m, v }, { size: 3, lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, decoupled, step });
        for (let i = 0; i < 3; i++) {
          let gi = g[i]!;
          if (decoupled) p[i] *= 1 - lr * wd;
          else gi += wd * p[i]!;
          mr[i] = b1 * mr[i]! + (1 - b1) * gi;
          vr[i] = b2 * vr[i]! + (1 - b2) * gi * gi;
          const mh = mr[i]! / (1 - b1 ** step);
          const vh = vr[i]! / (1 - b2 ** step);
          p[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
        }
      });
      close(param, p, 1e-5);
      close(m, mr);
      close(v, vr);
    });
  }
});
