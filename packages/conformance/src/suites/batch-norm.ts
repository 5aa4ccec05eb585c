import { planChannel } from '@stridenet/core';
import { batchNormCases } from '../cases/batch-norm.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';

export function batchNormChecks(): Check[] {
  return batchNormCases.flatMap((c): Check[] => {
    const channels = c.shape[1]!;
    const plan = planChannel('batchNorm', c.shape, channels, 'gamma');
    const key = `batchNorm/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE['batch-norm'];
    const x = uniform(`${key}/x`, sizeOf(c.shape), -2, 3);
    const gamma = uniform(`${key}/gamma`, channels, 0.5, 1.5);
    const beta = uniform(`${key}/beta`, channels);
    const mean = uniform(`${key}/mean`, channels);
    const variance = uniform(`${key}/variance`, channels, 0.5, 2);
    const dy = uniform(`${key}/dy`, x.length);
    const attrs = { plan, epsilon: c.epsilon };
    const base = { group: 'batch-norm' as const, option: c.name, elements: x.length };
    const train = ref.batchNormTrain(x, gamma, beta, plan, c.epsilon);
    return [
      {
        ...base,
        kernel: 'BatchNormTrain',
        title: 'training forward: y, batch mean, biased variance',
        uses: () => [use('BatchNormTrain', attrs)],
        run: async (s) => {
          const [y, m, v] = await s.compute('BatchNormTrain', { x, gamma, beta }, attrs);
          expectClose('batch norm y', y!, train.y, tol);
          expectClose('batch mean', m!, train.mean, tol);
          expectClose('batch variance', v!, train.variance, tol);
        },
      },
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
      {
        ...base,
        kernel: 'BatchNormGrad',
        title: 'gradient vs reference',
        uses: () => [use('BatchNormGrad', attrs)],
        run: async (s) => {
          const [dx, dgamma, dbeta] = await s.compute('BatchNormGrad', { dy, x, gamma, mean: train.mean, variance: train.variance }, attrs);
          const want = ref.batchNormGrad(dy, x, gamma, train.mean, train.variance, plan, c.epsilon);
          expectClose('batch norm dx', dx!, want.dx, tol);
          expectClose('batch norm dgamma', dgamma!, want.dgamma, tol);
          expectClose('batch norm dbeta', dbeta!, want.dbeta, tol);
        },
      },
      {
        ...base,
        kernel: 'BatchNormGrad',
        title: 'gradients by finite differences (x, gamma, beta)',
        uses: () => [use('BatchNormTrain', attrs), use('BatchNormGrad', attrs)],
        run: async (s) => {
          const [, m, v] = await s.compute('BatchNormTrain', { x, gamma, beta }, attrs);
          const [dx, dgamma, dbeta] = await s.compute('BatchNormGrad', { dy, x, gamma, mean: m!, variance: v! }, attrs);
          await directionalCheck({
            key,
            inputs: [x, gamma, beta],
            grads: [dx!, dgamma!, dbeta!],
            r: dy,
            h: 1e-3,
            forward: async ([xi, gi, bi]) => (await s.compute('BatchNormTrain', { x: xi!, gamma: gi!, beta: bi! }, attrs))[0]!,
          });
        },
      },
    ];
  });
}
