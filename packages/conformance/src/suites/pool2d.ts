import { planPool2d, type Pool2dPlan } from '@stridenet/core';
import { pool2dCases } from '../cases/pool2d.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose, ToleranceError } from '../harness/compare.js';
import { distinct, sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check } from '../harness/check.js';
import { largest, plantNonFinite } from './util.js';

/** Whether two float32 arrays hold the same bits (NaN payloads aside). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

/**
 * The training path (MaxPool2DArgmax, MaxPool2DGradArgmax): the taps the forward records match the reference
 * exactly, and the gradient from them is the reference's and this backend's MaxPool2DGrad's bit for bit.
 */
function argmaxChecks(base: Pick<Check, 'group' | 'option' | 'elements'>, plan: Pool2dPlan, x: ArrayLike<number>, dy: ArrayLike<number>, tol: number): Check[] {
  const want = ref.maxPool2dArgmax(x, plan);
  return [
    {
      ...base,
      kernel: 'MaxPool2DArgmax',
      title: 'forward with argmax',
      uses: () => [use('MaxPool2DArgmax', { plan })],
      run: async (s) => {
        const [y, argmax] = await s.compute('MaxPool2DArgmax', { x }, { plan });
        expectClose('MaxPool2DArgmax y', y!, want.y, tol);
        expectClose('MaxPool2DArgmax argmax (window taps)', argmax!, want.argmax, 0);
      },
    },
    {
      ...base,
      kernel: 'MaxPool2DGradArgmax',
      title: 'gradient from argmax vs reference and MaxPool2DGrad',
      uses: () => [use('MaxPool2DArgmax', { plan }), use('MaxPool2DGradArgmax', { plan }), use('MaxPool2DGrad', { plan })],
      run: async (s) => {
        const [, argmax] = await s.compute('MaxPool2DArgmax', { x }, { plan });
        const [dx] = await s.compute('MaxPool2DGradArgmax', { dy, argmax: argmax! }, { plan });
        expectClose('MaxPool2DGradArgmax dx', dx!, ref.maxPool2dGrad(dy, x, plan), tol);
        const [dxFromX] = await s.compute('MaxPool2DGrad', { dy, x }, { plan });
        const at = sameBits(dx!, dxFromX!);
        if (at >= 0) throw new ToleranceError(`MaxPool2DGradArgmax dx entry ${at} is ${dx![at]} but MaxPool2DGrad gives ${dxFromX![at]} (expected the same bits)`);
      },
    },
  ];
}

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
    if (c.kind === 'max') checks.push(...argmaxChecks(base, plan, x, dy, tol));
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
