import type { KernelFn } from '@stridenet/core';

/** In place, PyTorch SGD: d = g + wd p; v = momentum v + d; p -= lr (nesterov ? d + momentum v : v). */
export const SgdUpdate: KernelFn<Float32Array, 'SgdUpdate'> = ({ param, grad, velocity }, { size, lr, momentum, nesterov, weightDecay }) => {
  if (momentum === 0) {
    for (let i = 0; i < size; i++) {
      const d = grad[i]! + weightDecay * param[i]!;
      velocity[i] = d;
      param[i] = param[i]! - lr * d;
    }
    return;
  }
  for (let i = 0; i < size; i++) {
    const d = grad[i]! + weightDecay * param[i]!;
    const v = momentum * velocity[i]! + d;
    velocity[i] = v;
    param[i] = param[i]! - lr * (nesterov ? d + momentum * v : v);
  }
};
