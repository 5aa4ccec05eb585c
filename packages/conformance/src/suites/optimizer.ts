import type { AdamAttrs, SgdAttrs } from '@stridenet/core';
import { adamCases, sgdCases } from '../cases/optimizer.js';
import { DEFAULT_TOLERANCE } from '../cases/types.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { uniform } from '../harness/data.js';
import { use, type Check } from '../harness/check.js';
import type { KernelSession } from '../harness/session.js';

/** Runs `steps` in-place updates on the backend and on the float64 reference, comparing every state buffer after each. */
async function compareSteps(
  s: KernelSession,
  kernel: 'SgdUpdate' | 'AdamUpdate',
  key: string,
  size: number,
  steps: number,
  attrsAt: (step: number) => SgdAttrs | AdamAttrs,
  tol: number,
): Promise<void> {
  const names = kernel === 'SgdUpdate' ? ['param', 'velocity'] : ['param', 'm', 'v'];
  const host = names.map((n) => (n === 'param' ? Float64Array.from(uniform(`${key}/param`, size)) : new Float64Array(size)));
  const dev = host.map((h) => s.upload(Float32Array.from(h)));
  for (let step = 1; step <= steps; step++) {
    const g = uniform(`${key}/grad${step}`, size);
    const hg = s.upload(g);
    const attrs = attrsAt(step);
    if (kernel === 'SgdUpdate') {
      s.run('SgdUpdate', { param: dev[0]!, grad: hg, velocity: dev[1]! }, attrs as SgdAttrs);
      ref.sgdUpdate(host[0]!, g, host[1]!, attrs as SgdAttrs);
    } else {
      s.run('AdamUpdate', { param: dev[0]!, grad: hg, m: dev[1]!, v: dev[2]! }, attrs as AdamAttrs);
      ref.adamUpdate(host[0]!, g, host[1]!, host[2]!, attrs as AdamAttrs);
    }
    s.free(hg);
    for (let i = 0; i < names.length; i++) expectClose(`${kernel} ${names[i]} after step ${step}`, await s.read(dev[i]!), host[i]!, tol);
  }
}

export function optimizerChecks(): Check[] {
  const checks: Check[] = [];
  for (const c of sgdCases) {
    const attrs = { ...c.attrs, size: c.size };
    checks.push({
      group: 'optimizer',
      kernel: 'SgdUpdate',
      option: c.name,
      title: `${c.steps} steps vs reference`,
      elements: c.size,
      uses: () => [use('SgdUpdate', attrs)],
      run: (s) => compareSteps(s, 'SgdUpdate', `sgd/${c.name}`, c.size, c.steps, () => attrs, c.tolerance ?? DEFAULT_TOLERANCE.optimizer),
    });
  }
  for (const c of adamCases) {
    const attrsAt = (step: number): AdamAttrs => ({ ...c.attrs, size: c.size, step });
    checks.push({
      group: 'optimizer',
      kernel: 'AdamUpdate',
      option: c.name,
      title: `${c.steps} steps vs reference`,
      elements: c.size,
      uses: () => [use('AdamUpdate', attrsAt(1))],
      run: (s) => compareSteps(s, 'AdamUpdate', `adam/${c.name}`, c.size, c.steps, attrsAt, c.tolerance ?? DEFAULT_TOLERANCE.optimizer),
    });
  }
  return checks;
}
