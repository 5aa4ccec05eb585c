/**
 * Finite-difference gradient check by directional derivative.
 *
 * With L(x) = sum(y(x) * r) for a fixed random r, and a random direction d, the inputs are moved
 * to x+ = f32(x + h d) and x- = f32(x - h d); the measured change L(x+) - L(x-) (float64 sums of
 * the backend's float32 outputs) must match the change the analytic gradient g = dL/dx predicts,
 * sum(g * (x+ - x-)), computed from the actual float32 perturbation (so rounding of x+ and x- is
 * not mistaken for gradient error). The bound is rtol * sum|g * (x+ - x-)| plus the float32 noise
 * of the two forward passes, 64 * eps32 * (sum|y+ r| + sum|y- r|).
 */
import { Rng } from '@stridenet/core';
import { seedOf } from './data.js';
import { ToleranceError } from './compare.js';

const EPS32 = 2 ** -23;

export interface DirectionalCheck {
  key: string;
  /** Current input values. */
  inputs: readonly Float32Array[];
  /** Analytic gradient of sum(y * r) per input, or null for inputs held fixed. */
  grads: readonly (ArrayLike<number> | null)[];
  /** The r the gradients were computed with. */
  r: ArrayLike<number>;
  /** Runs the forward pass on perturbed inputs (same order). */
  forward(inputs: Float32Array[]): Promise<ArrayLike<number>>;
  /** Step; keep it below half the gap to any kink of the function. */
  h: number;
  rtol?: number;
  /** Relative machine precision of the forward pass (float32 by default). */
  eps?: number;
}

export interface DirectionalResult {
  measured: number;
  predicted: number;
  bound: number;
}

export async function directionalCheck(c: DirectionalCheck): Promise<DirectionalResult> {
  const rng = new Rng(seedOf(`${c.key}/direction`));
  const plus: Float32Array[] = [];
  const minus: Float32Array[] = [];
  let predicted = 0;
  let scale = 0;
  c.inputs.forEach((x, t) => {
    const g = c.grads[t];
    if (!g) {
      plus.push(x);
      minus.push(x);
      return;
    }
    const d = rng.uniform(x.length, -1, 1);
    const xp = Float32Array.from(x, (v, i) => v + c.h * d[i]!);
    const xm = Float32Array.from(x, (v, i) => v - c.h * d[i]!);
    for (let i = 0; i < x.length; i++) {
      const step = xp[i]! - xm[i]!;
      predicted += g[i]! * step;
      scale += Math.abs(g[i]! * step);
    }
    plus.push(xp);
    minus.push(xm);
  });
  const yp = await c.forward(plus);
  const ym = await c.forward(minus);
  let lp = 0;
  let lm = 0;
  let noise = 0;
  for (let i = 0; i < yp.length; i++) {
    lp += yp[i]! * c.r[i]!;
    lm += ym[i]! * c.r[i]!;
    noise += Math.abs(yp[i]! * c.r[i]!) + Math.abs(ym[i]! * c.r[i]!);
  }
  const measured = lp - lm;
  const bound = (c.rtol ?? 1e-3) * scale + 64 * (c.eps ?? EPS32) * noise;
  if (!(Math.abs(measured - predicted) <= bound)) {
    throw new ToleranceError(
      `finite differences: sum(y * r) changed by ${measured.toExponential(6)} but the gradient predicts ` +
        `${predicted.toExponential(6)} (difference ${Math.abs(measured - predicted).toExponential(3)} > bound ${bound.toExponential(3)}, step ${c.h})`,
    );
  }
  return { measured, predicted, bound };
}
