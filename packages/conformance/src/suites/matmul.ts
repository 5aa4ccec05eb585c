import { planChannel, planMatMul, type MatMulPlan } from '@stridenet/core';
import { matMulCases } from '../cases/matmul.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { sizeOf, uniform } from '../harness/data.js';
import { directionalCheck } from '../harness/gradcheck.js';
import { use, type Check, type KernelUse } from '../harness/check.js';
import type { KernelSession } from '../harness/session.js';
import { largest } from './util.js';

/**
 * The backward pass of C = op(A) op(B) written with MatMul itself (as core's autograd does):
 * the plans for dA and dB in A's and B's storage layouts.
 */
function backwardPlans(p: MatMulPlan, aShape: readonly number[], bShape: readonly number[]) {
  const dc = [p.m, p.n];
  // dA: [m,k] = dC op(B)^T, or stored [k,m] = op(B) dC^T when transposeA.
  const da = p.transposeA
    ? { left: 'b' as const, plan: planMatMul(bShape, dc, p.transposeB, true) }
    : { left: 'dc' as const, plan: planMatMul(dc, bShape, false, !p.transposeB) };
  // dB: [k,n] = op(A)^T dC, or stored [n,k] = dC^T op(A) when transposeB.
  const db = p.transposeB
    ? { left: 'dc' as const, plan: planMatMul(dc, aShape, true, p.transposeA) }
    : { left: 'a' as const, plan: planMatMul(aShape, dc, !p.transposeA, false) };
  return { da, db, bias: planChannel('matMul', dc, p.n, 'bias') };
}

export function matMulChecks(): Check[] {
  return matMulCases.flatMap((c): Check[] => {
    const plan = planMatMul(c.a, c.b, c.transposeA, c.transposeB);
    const key = `matmul/${c.name}`;
    const tol = c.tolerance ?? DEFAULT_TOLERANCE.matmul;
    const a = uniform(`${key}/a`, sizeOf(c.a));
    const b = uniform(`${key}/b`, sizeOf(c.b));
    const bias = c.bias ? uniform(`${key}/bias`, plan.n) : undefined;
    const dc = uniform(`${key}/dc`, plan.m * plan.n);
    const back = backwardPlans(plan, c.a, c.b);
    const base = { group: 'matmul' as const, kernel: 'MatMul', option: c.name, elements: largest(c.a, c.b, plan.outShape) };
    const backUses = (): KernelUse[] => [
      use('MatMul', { plan: back.da.plan, activation: 'linear' }),
      use('MatMul', { plan: back.db.plan, activation: 'linear' }),
      use('BiasAddGrad', { plan: back.bias }),
    ];
    const gradients = async (s: KernelSession) => {
      const pick = (w: 'a' | 'b' | 'dc') => (w === 'a' ? a : w === 'b' ? b : dc);
      const other = (w: 'a' | 'b' | 'dc', which: 'da' | 'db') => (w === 'dc' ? (which === 'da' ? b : a) : dc);
      const [da] = await s.compute('MatMul', { a: pick(back.da.left), b: other(back.da.left, 'da') }, { plan: back.da.plan, activation: 'linear' });
      const [db] = await s.compute('MatMul', { a: pick(back.db.left), b: other(back.db.left, 'db') }, { plan: back.db.plan, activation: 'linear' });
      const [dbias] = await s.compute('BiasAddGrad', { dy: dc }, { plan: back.bias });
      return { da: da!, db: db!, dbias: dbias! };
    };
    return [
      {
        ...base,
        title: `forward (${c.activation}${c.bias ? ', bias' : ''})`,
        uses: () => [use('MatMul', { plan, activation: c.activation })],
        run: async (s) => {
          const [y] = await s.compute('MatMul', { a, b, bias }, { plan, activation: c.activation });
          expectClose('MatMul output', y!, ref.matMul(a, b, bias, plan, c.activation), tol);
        },
      },
      {
        ...base,
        title: 'backward by MatMul vs reference',
        uses: backUses,
        run: async (s) => {
          const g = await gradients(s);
          const want = ref.matMulGrad(dc, a, b, plan);
          expectClose('dA', g.da, want.da, tol);
          expectClose('dB', g.db, want.db, tol);
          expectClose('dbias', g.dbias, want.dbias, tol);
        },
      },
      {
        ...base,
        title: 'gradients by finite differences',
        uses: () => [use('MatMul', { plan, activation: 'linear' }), ...backUses()],
        run: async (s) => {
          const g = await gradients(s);
          await directionalCheck({
            key,
            inputs: bias ? [a, b, bias] : [a, b],
            grads: bias ? [g.da, g.db, g.dbias] : [g.da, g.db],
            r: dc,
            h: 1e-2,
            forward: async ([ai, bi, biasi]) => (await s.compute('MatMul', { a: ai!, b: bi!, bias: biasi }, { plan, activation: 'linear' }))[0]!,
          });
        },
      },
    ];
  });
}
