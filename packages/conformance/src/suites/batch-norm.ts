import { planChannel, type ChannelPlan, type KernelAttrs } from '@stridenet/core';
import { batchNormCases, type BatchNormCase } from '../cases/batch-norm.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import type { KernelSession } from '../harness/session.js';

/** What a case's fused epilogue and options add to a plain title. */
function variant(c: BatchNormCase): string {
  const parts = [
    c.activation === 'relu' ? 'relu' : '',
    c.residual ? 'residual' : '',
    c.momentum !== undefined ? `running update (momentum ${c.momentum})` : '',
    c.dy === 'cancelling' ? 'dy nearly cancelling per channel' : '',
  ];
  return parts.filter(Boolean).map((p) => `, ${p}`).join('');
}

/** Uploads the running statistics, runs BatchNormTrain and reads [y, mean, variance, runningMean?, runningVar?]. */
async function trainOnBackend(
  s: KernelSession,
  values: { x: Float32Array; gamma: Float32Array; beta: Float32Array; residual?: Float32Array; running?: [Float32Array, Float32Array] },
  attrs: KernelAttrs<'BatchNormTrain'>,
): Promise<Float32Array[]> {
  const up = (v: Float32Array | undefined) => (v ? s.upload(v) : undefined);
  const x = s.upload(values.x);
  const gamma = s.upload(values.gamma);
  const beta = s.upload(values.beta);
  const residual = up(values.residual);
  const [runningMean, runningVar] = [up(values.running?.[0]), up(values.running?.[1])];
  const outs = s.run('BatchNormTrain', { x, gamma, beta, residual, runningMean, runningVar }, attrs);
  const result: Float32Array[] = [];
  for (const h of [...outs, runningMean, runningVar]) if (h !== undefined) result.push(await s.read(h));
  for (const h of [...outs, x, gamma, beta, residual, runningMean, runningVar]) if (h !== undefined) s.free(h);
  return result;
}

/** Per channel 256 * (u - mean(u)) + 0.01, u uniform in [-1, 1): |dy| ~ 256, channel sum 0.01 * count. */
function cancellingDy(key: string, plan: ChannelPlan): Float32Array {
  const u = uniform(key, plan.outer * plan.channels * plan.inner);
  const channel = (i: number) => Math.floor(i / plan.inner) % plan.channels;
  const sums = new Float64Array(plan.channels);
  u.forEach((v, i) => (sums[channel(i)] += v));
  const count = plan.outer * plan.inner;
  return Float32Array.from(u, (v, i) => 256 * (v - sums[channel(i)]! / count) + 0.01);
}

export function batchNormChecks(): Check[] {
  return batchNormCases.flatMap((c): Check[] => {
    const channels = c.shape[1]!;
    const plan = planChannel('batchNorm', c.shape, channels, 'gamma');
    const key = `batchNorm/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE['batch-norm'];
    const activation = c.activation ?? 'linear';
    const x = uniform(`${key}/x`, sizeOf(c.shape), -2, 3);
    const gamma = uniform(`${key}/gamma`, channels, 0.5, 1.5);
    const beta = uniform(`${key}/beta`, channels);
    const mean = uniform(`${key}/mean`, channels);
    const variance = uniform(`${key}/variance`, channels, 0.5, 2);
    const dy = c.dy === 'cancelling' ? cancellingDy(`${key}/dy`, plan) : uniform(`${key}/dy`, x.length);
    // About as large as the normalised values, so that relu cuts both signs of the sum.
    const residual = c.residual ? uniform(`${key}/residual`, x.length, -2, 2) : undefined;
    const running: [Float32Array, Float32Array] | undefined = c.momentum === undefined ? undefined : [mean, variance];
    const trainAttrs = { plan, epsilon: c.epsilon, activation, momentum: c.momentum ?? 0 };
    const gradAttrs = { plan, epsilon: c.epsilon, activation };
    const attrs = { plan, epsilon: c.epsilon };
    const base = { group: 'batch-norm' as const, option: c.name, elements: x.length };
    const train = ref.batchNormTrain(x, gamma, beta, plan, c.epsilon, activation, residual);
    const masked = activation === 'relu' ? ref.reluMask(dy, train.y) : dy;
    const checks: Check[] = [
      {
        ...base,
        kernel: 'BatchNormTrain',
        title: `training forward: y, batch mean, biased variance${variant(c)}`,
        uses: () => [use('BatchNormTrain', trainAttrs)],
        run: async (s) => {
          const [y, m, v, rm, rv] = await trainOnBackend(s, { x, gamma, beta, residual, running }, trainAttrs);
          expectClose('batch norm y', y!, train.y, tol);
          expectClose('batch mean', m!, train.mean, tol);
          expectClose('batch variance', v!, train.variance, tol);
          if (running) {
            const [wm, wv] = [Float64Array.from(mean), Float64Array.from(variance)];
            ref.batchNormRunning(wm, wv, train.mean, train.variance, plan, c.momentum!);
            expectClose('running mean after the update', rm!, wm, tol);
            expectClose('running variance after the update', rv!, wv, tol);
          }
        },
      },
      {
        ...base,
        kernel: 'BatchNormGrad',
        title: `gradient vs reference${variant(c)}`,
        uses: () => [use('BatchNormGrad', gradAttrs)],
        run: async (s) => {
          const y = activation === 'relu' ? train.y : undefined;
          const [dx, dgamma, dbeta] = await s.compute('BatchNormGrad', { dy, x, gamma, mean: train.mean, variance: train.variance, y }, gradAttrs);
          const want = ref.batchNormGrad(masked, x, gamma, train.mean, train.variance, plan, c.epsilon);
          const gradTol = c.gradTolerance ?? tol;
          expectClose('batch norm dx', dx!, want.dx, gradTol);
          expectClose('batch norm dgamma', dgamma!, want.dgamma, gradTol);
          expectClose('batch norm dbeta', dbeta!, want.dbeta, gradTol);
        },
      },
      {
        ...base,
        kernel: 'BatchNormGrad',
        title: `gradients by finite differences (x, gamma, beta${residual ? ', residual' : ''})${variant(c)}`,
        uses: () => [use('BatchNormTrain', trainAttrs), use('BatchNormGrad', gradAttrs)],
        run: async (s) => {
          const [y, m, v] = await trainOnBackend(s, { x, gamma, beta, residual }, trainAttrs);
          const fused = activation === 'relu' ? y : undefined;
          const [dx, dgamma, dbeta] = await s.compute('BatchNormGrad', { dy, x, gamma, mean: m!, variance: v!, y: fused }, gradAttrs);
          // A fused residual's gradient is dy through the activation, masked by the backend's own y.
          const dresidual = residual ? (fused ? ref.reluMask(dy, fused) : dy) : undefined;
          await directionalCheck({
            key,
            inputs: residual ? [x, gamma, beta, residual] : [x, gamma, beta],
            grads: residual ? [dx!, dgamma!, dbeta!, dresidual!] : [dx!, dgamma!, dbeta!],
            r: dy,
            h: 1e-3,
            forward: async ([xi, gi, bi, ri]) => (await trainOnBackend(s, { x: xi!, gamma: gi!, beta: bi!, residual: ri }, trainAttrs))[0]!,
          });
        },
      },
    ];
    // The cancelling dy is for the sums of the gradient; it would only make the other checks noisier.
    if (c.dy === 'cancelling') return [checks[1]!];
    if (c.activation || c.residual || c.momentum !== undefined) return checks;
    return [
      ...checks,
      {
        ...base,
        kernel: 'BatchNormInference',
        title: 'inference forward',
        uses: () => [use('BatchNormInference', attrs)],
        run: async (s) => {
          const [y] = await s.compute('BatchNormInference', { x, gamma, beta, mean, variance }, attrs);
          expectClose('batch norm inference y', y!, ref.batchNormInference(x, gamma, beta, mean, variance, plan, c.epsilon), tol);
        },
      },
    ];
  });
}
