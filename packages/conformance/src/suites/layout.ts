import { planConcat, planPad, planSlice, planTranspose } from '@stridenet/core';
import { concatCases, padCases, sliceCases, transposeCases } from '../cases/layout.js';
import * as ref from '../reference/index.js';
import { expectClose } from '../harness/compare.js';
import { sizeOf, uniform } from '../harness/data.js';
import { use, type Check } from '../harness/check.js';
import { largest } from './util.js';

// Data movement is exact: the bound is 0.
export function layoutChecks(): Check[] {
  const checks: Check[] = [];
  for (const c of concatCases) {
    const plan = planConcat(c.shapes, c.axis);
    const xs = c.shapes.map((s, i) => uniform(`concat/${c.name}/${i}`, sizeOf(s)));
    checks.push({
      group: 'layout',
      kernel: 'Concat',
      option: c.name,
      title: 'forward',
      elements: largest(plan.outShape),
      uses: () => [use('Concat', { plan })],
      run: async (s) => {
        const [y] = await s.compute('Concat', { xs }, { plan });
        expectClose('Concat', y!, ref.concat(xs, c.shapes, plan), c.tolerance ?? 0);
      },
    });
  }
  for (const c of sliceCases) {
    const plan = planSlice(c.shape, c.begin, c.size);
    const x = uniform(`slice/${c.name}`, sizeOf(c.shape));
    checks.push({
      group: 'layout',
      kernel: 'Slice',
      option: c.name,
      title: 'forward',
      elements: x.length,
      uses: () => [use('Slice', { plan })],
      run: async (s) => {
        const [y] = await s.compute('Slice', { x }, { plan });
        expectClose('Slice', y!, ref.slice(x, plan), c.tolerance ?? 0);
      },
    });
  }
  for (const c of transposeCases) {
    const plan = planTranspose(c.shape, c.perm);
    const x = uniform(`transpose/${c.name}`, sizeOf(c.shape));
    checks.push({
      group: 'layout',
      kernel: 'Transpose',
      option: c.name,
      title: 'forward',
      elements: x.length,
      uses: () => [use('Transpose', { plan })],
      run: async (s) => {
        const [y] = await s.compute('Transpose', { x }, { plan });
        expectClose('Transpose', y!, ref.transpose(x, plan), c.tolerance ?? 0);
      },
    });
  }
  for (const c of padCases) {
    const plan = planPad(c.shape, c.paddings);
    const x = uniform(`pad/${c.name}`, sizeOf(c.shape));
    checks.push({
      group: 'layout',
      kernel: 'Pad',
      option: c.name,
      title: 'forward',
      elements: largest(plan.outShape),
      uses: () => [use('Pad', { plan, value: c.value })],
      run: async (s) => {
        const [y] = await s.compute('Pad', { x }, { plan, value: c.value });
        expectClose('Pad', y!, ref.pad(x, plan, c.value), c.tolerance ?? 0);
      },
    });
  }
  return checks;
}
