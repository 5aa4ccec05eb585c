// BatchNormTrain / BatchNormGrad on every ISA path against the float64 reference, on shapes the
// conformance cases do not reach: planes longer than one block (4096 floats) and with a vector tail, a
// 1x1 plane per channel, and data far from zero (|mean| >> std), where E[x^2] - E[x]^2 or
// x * scale + shift in float32 would lose the variance and the normalised values.
import { describe, expect, it } from 'vitest';
import { planChannel } from '@stridenet/core';
import { batchNormGrad, batchNormTrain } from '@stridenet/conformance/reference';
import { createNativeBackend, nativeIsas } from './index.js';
import { maxRelError, random } from './testing/values.js';

const shapes: number[][] = [
  [2, 3, 70, 70],
  [3, 5, 33, 1],
  [64, 7, 1, 1],
];
const eps = 1e-5;

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!));
  return worst;
}

describe.each(nativeIsas())('batch norm on native-%s', (isa) => {
  it.each(shapes)('[%i,%i,%i,%i], data around 100 with std 0.1', async (...shape) => {
    const b = await createNativeBackend({ threads: 2, isa });
    const plan = planChannel('batchNorm', shape, shape[1]!);
    const n = shape.reduce((p, d) => p * d, 1);
    const C = shape[1]!;
    const x = random(n, 3).map((v, i) => 100 + 0.1 * v + 0.01 * (Math.floor(i / plan.inner) % C));
    const gamma = random(C, 4).map((v) => 1 + v / 2);
    const beta = random(C, 5);
    const dy = random(n, 6);
    const up = (v: Float32Array) => b.upload(v);
    const [y, mean, variance] = b.kernels.BatchNormTrain({ x: up(x), gamma: up(gamma), beta: up(beta) }, { plan, epsilon: eps });
    const ref = batchNormTrain(x, gamma, beta, plan, eps);
    const [yv, mv, vv] = await Promise.all([b.read(y!), b.read(mean!), b.read(variance!)]);
    expect(maxRel(mv, ref.mean)).toBeLessThan(1e-6);
    expect(maxRel(vv, ref.variance)).toBeLessThan(1e-4);
    expect(maxRelError(yv, ref.y)).toBeLessThan(1e-3);
    // The gradient given the reference statistics (rounded to float32, as the backend stores them).
    const m32 = Float32Array.from(ref.mean);
    const v32 = Float32Array.from(ref.variance);
    const [dx, dgamma, dbeta] = b.kernels.BatchNormGrad({ dy: up(dy), x: up(x), gamma: up(gamma), mean: up(m32), variance: up(v32) }, { plan, epsilon: eps });
    const g = batchNormGrad(dy, x, gamma, m32, v32, plan, eps);
    const [dxv, dgv, dbv] = await Promise.all([b.read(dx!), b.read(dgamma!), b.read(dbeta!)]);
    expect(maxRelError(dbv, g.dbeta)).toBeLessThan(1e-4);
    expect(maxRelError(dgv, g.dgamma)).toBeLessThan(1e-3);
    expect(maxRelError(dxv, g.dx)).toBeLessThan(1e-3);
    await b.dispose!();
  });
});
