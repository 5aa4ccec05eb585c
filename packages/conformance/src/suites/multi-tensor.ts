/**
 * The multi-tensor kernels (SgdUpdateMany, AdamUpdateMany, AllFinite): one call over a list of
 * tensors of mixed sizes. The updates must match the float64 reference and, bit for bit, the
 * backend's own per-tensor kernel on every tensor; AllFinite must find a NaN or ±Inf wherever it is.
 */
import { planTensorList, type AdamAttrs, type SgdAttrs } from '@stridenet/core';
import { adamCases, allFiniteCases, manySizes, sgdCases } from '../cases/optimizer.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { uniform } from '../harness/data.js';
import { use, type Check } from '../harness/check.js';
import type { KernelSession } from '../harness/session.js';
import { ExpectationError } from './bad-input.js';

type Optimizer = 'sgd' | 'adam';
const SLOTS: Record<Optimizer, readonly string[]> = { sgd: ['param', 'velocity'], adam: ['param', 'm', 'v'] };

/** Runs `steps` multi-tensor updates; after each, every state buffer of every tensor is compared. */
async function compareManySteps(s: KernelSession, kind: Optimizer, key: string, steps: number, attrsAt: (step: number) => Omit<SgdAttrs | AdamAttrs, 'size'>, tol: number): Promise<void> {
  const plan = planTensorList(`${kind} many`, manySizes);
  const names = SLOTS[kind];
  // Per tensor: host float64 state, the state the Many kernel updates, and a copy the per-tensor kernel updates.
  const host = manySizes.map((size, t) => names.map((n) => (n === 'param' ? Float64Array.from(uniform(`${key}/param${t}`, size)) : new Float64Array(size))));
  const many = host.map((slots) => slots.map((h) => s.upload(Float32Array.from(h))));
  const single = host.map((slots) => slots.map((h) => s.upload(Float32Array.from(h))));
  for (let step = 1; step <= steps; step++) {
    const gs = manySizes.map((size, t) => uniform(`${key}/grad${t}/${step}`, size));
    const hg = gs.map((g) => s.upload(g));
    const attrs = attrsAt(step);
    const slot = (k: number) => many.map((st) => st[k]!);
    if (kind === 'sgd') {
      s.run('SgdUpdateMany', { params: slot(0), grads: hg, velocities: slot(1) }, { ...(attrs as Omit<SgdAttrs, 'size'>), plan });
    } else {
      s.run('AdamUpdateMany', { params: slot(0), grads: hg, ms: slot(1), vs: slot(2) }, { ...(attrs as Omit<AdamAttrs, 'size'>), plan });
    }
    manySizes.forEach((size, t) => {
      const [p, a, b] = single[t]!;
      const [hp, ha, hb] = host[t]!;
      if (kind === 'sgd') {
        s.run('SgdUpdate', { param: p!, grad: hg[t]!, velocity: a! }, { ...(attrs as SgdAttrs), size });
        ref.sgdUpdate(hp!, gs[t]!, ha!, { ...(attrs as SgdAttrs), size });
      } else {
        s.run('AdamUpdate', { param: p!, grad: hg[t]!, m: a!, v: b! }, { ...(attrs as AdamAttrs), size });
        ref.adamUpdate(hp!, gs[t]!, ha!, hb!, { ...(attrs as AdamAttrs), size });
      }
    });
    for (const h of hg) s.free(h);
    for (let t = 0; t < manySizes.length; t++) {
      for (let k = 0; k < names.length; k++) {
        const got = await s.read(many[t]![k]!);
        const what = `${kind} many: tensor ${t} (${manySizes[t]} values) ${names[k]} after step ${step}`;
        expectClose(`${what} vs reference`, got, host[t]![k]!, tol);
        expectClose(`${what} vs the per-tensor kernel (must be identical)`, got, await s.read(single[t]![k]!), 0);
      }
    }
  }
}

function allFiniteChecks(): Check[] {
  return allFiniteCases.map((c): Check => {
    const plan = planTensorList('allFinite', c.sizes);
    return {
      group: 'reduce',
      kernel: 'AllFinite',
      option: c.name,
      title: `flag ${c.expected}`,
      elements: plan.total,
      uses: () => [use('AllFinite', { plan })],
      run: async (s) => {
        const xs = c.sizes.map((size, t) => {
          const x = uniform(`allFinite/${c.name}/${t}`, size);
          for (const [at, i, value] of c.bad) if (at === t) x[i] = value;
          return s.upload(x);
        });
        const y = s.run('AllFinite', { xs }, { plan });
        const flag = await s.read(y);
        if (flag.length !== 1 || flag[0] !== c.expected) {
          throw new ExpectationError(`AllFinite ${c.name}: got [${[...flag].join(',')}] but expected [${c.expected}]`);
        }
      },
    };
  });
}

export function multiTensorChecks(): Check[] {
  const plan = planTensorList('many', manySizes);
  const checks: Check[] = [];
  for (const c of sgdCases) {
    const attrs = c.attrs;
    checks.push({
      group: 'optimizer',
      kernel: 'SgdUpdateMany',
      option: c.name,
      title: `${c.steps} steps over ${manySizes.length} tensors vs reference and SgdUpdate`,
      elements: plan.total,
      uses: () => [use('SgdUpdateMany', { ...attrs, plan }), use('SgdUpdate', { ...attrs, size: manySizes[0]! })],
      run: (s) => compareManySteps(s, 'sgd', `sgd many/${c.name}`, c.steps, () => attrs, c.tolerance ?? DEFAULT_TOLERANCE.optimizer),
    });
  }
  for (const c of adamCases) {
    const attrsAt = (step: number) => ({ ...c.attrs, step });
    checks.push({
      group: 'optimizer',
      kernel: 'AdamUpdateMany',
      option: c.name,
      title: `${c.steps} steps over ${manySizes.length} tensors vs reference and AdamUpdate`,
      elements: plan.total,
      uses: () => [use('AdamUpdateMany', { ...attrsAt(1), plan }), use('AdamUpdate', { ...attrsAt(1), size: manySizes[0]! })],
      run: (s) => compareManySteps(s, 'adam', `adam many/${c.name}`, c.steps, attrsAt, c.tolerance ?? DEFAULT_TOLERANCE.optimizer),
    });
  }
  return [...checks, ...allFiniteChecks()];
}
