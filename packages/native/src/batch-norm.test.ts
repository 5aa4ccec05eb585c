// BatchNormTrain / BatchNormGrad on every ISA path against the float64 reference, on shapes the
// conformance cases do not reach: channels split into blocks of rows ([40,3,32,32]) or of one long row
// ([1,2,130,130]), rows with a vector tail (33, 5x3) and 1x1 planes, with data far from zero (|mean| >>
// std) and a dy whose per-channel sum nearly cancels; plain, and fused (residual + relu + running statistics). The kernels sum in double, so the bounds are a few
// float32 roundings: float-lane sums, a float mean or a float x * scale + shift miss them by orders of
// magnitude. The results must also have the same bits at 1 and 2 threads.
import { describe, expect, it } from 'vitest';
import { planChannel, type ChannelPlan } from '@stridenet/core';
import { batchNormGrad, batchNormRunning, batchNormTrain, reluMask } from '@stridenet/conformance/reference';
import { createNativeBackend, nativeIsas, type NativeBackend } from './index.js';
import { random } from './testing/values.js';

const shapes: number[][] = [
  [40, 3, 32, 32],
  [1, 2, 130, 130],
  [2, 3, 70, 70],
  [3, 5, 33, 1],
  [9, 6, 5, 3],
  [64, 7, 1, 1],
];
const eps = 1e-5;

/** max |a - r| / max |r| (the conformance suite's normalised error). */
function normError(a: ArrayLike<number>, r: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < r.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - r[i]!));
    scale = Math.max(scale, Math.abs(r[i]!));
  }
  return worst / scale;
}

/** Per channel: 64 * (u - mean(u)) rounded to float32, plus 0.01: the channel sum is ~0.01 * count while |dy| is ~64. */
function cancellingDy(n: number, plan: ChannelPlan): Float32Array {
  const u = random(n, 6);
  const sums = new Float64Array(plan.channels);
  const channel = (i: number) => Math.floor(i / plan.inner) % plan.channels;
  for (let i = 0; i < n; i++) sums[channel(i)] += u[i]!;
  const count = plan.outer * plan.inner;
  return Float32Array.from(u, (v, i) => 64 * (v - sums[channel(i)]! / count) + 0.01);
}

interface Inputs {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
  /** Fused: residual + relu, running statistics updated in place. */
  residual?: Float32Array;
}

async function run(b: NativeBackend, plan: ChannelPlan, v: Inputs) {
  const up = (a: Float32Array) => b.upload(a);
  const fused = v.residual !== undefined;
  const activation = fused ? 'relu' : 'linear';
  const running = fused ? { runningMean: up(new Float32Array(plan.channels).fill(0.5)), runningVar: up(new Float32Array(plan.channels).fill(2)) } : {};
  const [y, mean, variance] = b.kernels.BatchNormTrain(
    { x: up(v.x), gamma: up(v.gamma), beta: up(v.beta), ...(fused ? { residual: up(v.residual!) } : {}), ...running },
    { plan, epsilon: eps, activation, momentum: 0.1 },
  );
  const [dx, dgamma, dbeta] = b.kernels.BatchNormGrad(
    { dy: up(v.dy), x: up(v.x), gamma: up(v.gamma), mean: mean!, variance: variance!, ...(fused ? { y: y! } : {}) },
    { plan, epsilon: eps, activation },
  );
  const handles = [y, mean, variance, dx, dgamma, dbeta, ...(fused ? [running.runningMean, running.runningVar] : [])];
  return Promise.all(handles.map((h) => b.read(h!)));
}

describe.each(nativeIsas())('batch norm on native-%s', (isa) => {
  it.each(shapes.flatMap((shape) => [[false, ...shape], [true, ...shape]]))(
    'fused %s, [%i,%i,%i,%i]: data around 100 with std 0.1, near-cancelling dy, same bits at 1 and 2 threads',
    async (fused, ...shape) => {
      const plan = planChannel('batchNorm', shape, shape[1]!);
      const n = shape.reduce((p, d) => p * d, 1);
      const C = shape[1]!;
      const v: Inputs = {
        x: random(n, 3).map((e, i) => 100 + 0.1 * e + 0.01 * (Math.floor(i / plan.inner) % C)),
        gamma: random(C, 4).map((e) => 1 + e / 2),
        beta: random(C, 5),
        dy: cancellingDy(n, plan),
        ...(fused ? { residual: random(n, 7) } : {}),
      };
      const one = await createNativeBackend({ threads: 1, isa });
      const two = await createNativeBackend({ threads: 2, isa });
      const got = await run(two, plan, v);
      const single = await run(one, plan, v);
      await Promise.all([one.dispose!(), two.dispose!()]);
      const [y, mean, variance, dx, dgamma, dbeta] = got;
      const ref = batchNormTrain(v.x, v.gamma, v.beta, plan, eps, fused ? 'relu' : 'linear', v.residual);
      expect(normError(mean!, ref.mean)).toBeLessThan(1e-7);
      expect(normError(variance!, ref.variance)).toBeLessThan(2e-7);
      expect(normError(y!, ref.y)).toBeLessThan(2e-7);
      if (fused) {
        const rm = new Float64Array(C).fill(0.5);
        const rv = new Float64Array(C).fill(2);
        batchNormRunning(rm, rv, ref.mean, ref.variance, plan, 0.1);
        expect(normError(got[6]!, rm)).toBeLessThan(2e-7);
        expect(normError(got[7]!, rv)).toBeLessThan(2e-7);
      }
      // The gradient given the statistics (and fused output) the backend stored, as training uses them.
      const g = batchNormGrad(fused ? reluMask(v.dy, y!) : v.dy, v.x, v.gamma, mean!, variance!, plan, eps);
      expect(normError(dbeta!, g.dbeta)).toBeLessThan(2e-7);
      expect(normError(dgamma!, g.dgamma)).toBeLessThan(2e-7);
      expect(normError(dx!, g.dx)).toBeLessThan(2e-7);
      for (const [i, a] of single.entries()) expect(Buffer.from(a.buffer).equals(Buffer.from(got[i]!.buffer))).toBe(true);
    },
  );
});
