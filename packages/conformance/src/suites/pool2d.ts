import { planPool2d } from '@stridenet/core';
import { pool2dCases } from '../cases/pool2d.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { distinct, sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import { largest, plantNonFinite } from './util.js';

export function pool2dChecks(): Check[] {
  return pool2dCases.flatMap((c): Check[] => {
    const plan = planPool2d(c.input, c.options);
    const key = `pool2d/${c.kind}/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.pool2d;
    const n = sizeOf(c.input);
    // Max pooling gets distinct values (no ties, so the selected cell is well defined and stable
    // under the finite-difference step), except in the ties case, which rounds them to 5 levels, and
    // the NaN case, which turns the cells whose draw is below -1/3 into NaN.
    const x =
      c.special === 'nan-inf'
        ? plantNonFinite(uniform(`${key}/x`, n))
        : c.special === 'ties'
          ? uniform(`${key}/x`, n).map((v) => Math.round(v * 2) / 2)
          : c.special === 'nans'
            ? uniform(`${key}/x`, n).map((v) => (v < -1 / 3 ? NaN : v))
            : c.kind === 'max'
              ? distinct(`${key}/x`, n)
              : uniform(`${key}/x`, n);
    const dy = uniform(`${key}/dy`, sizeOf(plan.outShape));
    const fwd = c.kind === 'max' ? 'MaxPool2D' : 'AvgPool2D';
    const grad = c.kind === 'max' ? 'MaxPool2DGrad' : 'AvgPool2DGrad';
    const refForward = (v: ArrayLike<number>) => (c.kind === 'max' ? ref.maxPool2d(v, plan) : ref.avgPool2d(v, plan));
    const base = { group: 'pool2d' as const, option: c.name, elements: largest(c.input) };
    const checks: Check[] = [
      {
        ...base,
        kernel: fwd,
        title: 'forward',
        uses: () => [use(fwd, { plan })],
        run: async (s) => {
          const [y] = await s.compute(fwd, { x }, { plan });
          expectClose(`${fwd} output`, y!, refForward(x), tol);
        },
      },
    ];
    if (c.special === 'nan-inf') return checks;
    checks.push({
      ...base,
      kernel: grad,
      title: 'gradient vs reference',
      uses: () => [use(grad, { plan })],
      run: async (s) => {
        const [dx] = c.kind === 'max' ? await s.compute('MaxPool2DGrad', { dy, x }, { plan }) : await s.compute('AvgPool2DGrad', { dy }, { plan });
        const want = c.kind === 'max' ? ref.maxPool2dGrad(dy, x, plan) : ref.avgPool2dGrad(dy, plan);
        expectClose(`${grad} dx`, dx!, want, tol);
      },
    });
    if (c.special === 'ties' || c.special === 'nans') return checks;
    checks.push({
      ...base,
      kernel: fwd,
      title: 'gradient by finite differences',
      uses: () => [use(fwd, { plan }), use(grad, { plan })],
      run: async (s) => {
        const [dx] = c.kind === 'max' ? await s.compute('MaxPool2DGrad', { dy, x }, { plan }) : await s.compute('AvgPool2DGrad', { dy }, { plan });
        await directionalCheck({
          key,
          inputs: [x],
          grads: [dx!],
          r: dy,
          // Below half the 2/n gap between max-pool inputs, so no window changes its winner.
          h: c.kind === 'max' ? 0.5 / n : 1e-2,
          forward: async ([xi]) => (await s.compute(fwd, { x: xi! }, { plan }))[0]!,
        });
      },
    });
    return checks;
  });
}
