import { planReduce } from '@stridenet/core';
import { reduceCases } from '../cases/reduce.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { distinct, sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import { plantNonFinite } from './util.js';

export function reduceChecks(): Check[] {
  return reduceCases.flatMap((c): Check[] => {
    const [outer, r, inner] = c.dims;
    const plan = planReduce(outer, r, inner);
    const key = `reduce/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.reduce;
    const n = sizeOf(c.dims);
    const x = c.special === 'nan-inf' ? plantNonFinite(uniform(`${key}/x`, n)) : c.op === 'max' ? distinct(`${key}/x`, n) : uniform(`${key}/x`, n);
    const dy = uniform(`${key}/dy`, outer * inner);
    const base = { group: 'reduce' as const, kernel: 'Reduce', option: c.name, elements: n };
    const checks: Check[] = [
      {
        ...base,
        title: 'forward',
        uses: () => [use('Reduce', { op: c.op, plan })],
        run: async (s) => {
          const [y] = await s.compute('Reduce', { x }, { op: c.op, plan });
          expectClose(`Reduce ${c.op}`, y!, ref.reduce(c.op, x, plan), tol);
        },
      },
    ];
    if (!c.special) {
      checks.push({
        ...base,
        title: 'forward agrees with the reference gradient (finite differences)',
        uses: () => [use('Reduce', { op: c.op, plan })],
        run: async (s) => {
          await directionalCheck({
            key,
            inputs: [x],
            grads: [ref.reduceGrad(c.op, dy, x, plan)],
            r: dy,
            h: c.op === 'max' ? 0.5 / n : 1e-2,
            forward: async ([xi]) => (await s.compute('Reduce', { x: xi! }, { op: c.op, plan }))[0]!,
          });
        },
      });
    }
    return checks;
  });
}
