/** Float64 reference for one SGD or Adam step, in place, with PyTorch's torch.optim semantics. */
import type { AdamAttrs, SgdAttrs } from '@stridenet/core';

export function sgdUpdate(param: Float64Array, grad: ArrayLike<number>, velocity: Float64Array, a: SgdAttrs): void {
  for (let i = 0; i < param.length; i++) {
    const d = grad[i]! + a.weightDecay * param[i]!;
    velocity[i] = a.momentum * velocity[i]! + d;
    const step = a.nesterov ? d + a.momentum * velocity[i]! : velocity[i]!;
    param[i] -= a.lr * step;
  }
}

export function adamUpdate(param: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array, a: AdamAttrs): void {
  const c1 = 1 - a.beta1 ** a.step;
  const c2 = 1 - a.beta2 ** a.step;
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]!;
    if (a.decoupled) param[i] -= a.lr * a.weightDecay * param[i]!;
    else g += a.weightDecay * param[i]!;
    m[i] = a.beta1 * m[i]! + (1 - a.beta1) * g;
    v[i] = a.beta2 * v[i]! + (1 - a.beta2) * g * g;
    param[i] -= (a.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + a.epsilon);
  }
}
