import type { KernelFn } from '@stridenet/core';

/**
 * In place, PyTorch Adam/AdamW: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). AdamW first scales p by 1 - lr wd;
 * Adam folds wd p into g instead.
 */
export const AdamUpdate: KernelFn<Float32Array, 'AdamUpdate'> = ({ param, grad, m, v }, attrs) => {
  const { size, lr, beta1, beta2, epsilon, weightDecay, decoupled, step } = attrs;
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  // PyTorch forms g + wd p as a float32 tensor; rounding the same way keeps exact cancellations exact.
  const l2 = decoupled ? 0 : Math.fround(weightDecay);
  for (let i = 0; i < size; i++) {
    const p = param[i]! * decay;
    const g = Math.fround(grad[i]! + l2 * param[i]!);
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + epsilon);
  }
};
