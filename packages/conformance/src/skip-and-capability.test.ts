// A backend that declines some options: those checks are skipped with its reason, the rest run,
// and the capability matrix records both. Runs the conv2d and pool2d groups only.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, Conv2dPlan, Pool2dPlan } from '@stridenet/core';
import { runConformance } from './run.js';
import { createReferenceBackend } from './reference/backend.js';
import { mergeCapabilityMarkdown, type CapabilityReport } from './harness/capability.js';

const dir = mkdtempSync(join(tmpdir(), 'stridenet-capability-'));

function declining(): Backend {
  const b = createReferenceBackend();
  return {
    ...b,
    name: 'declining',
    supports: (_kernel: string, attrs: unknown) => {
      const plan = (attrs as { plan?: Conv2dPlan | Pool2dPlan }).plan;
      if (plan?.kind === 'conv2d' && plan.dilationHeight > 1) return 'dilation > 1 is not implemented';
      if (plan?.kind === 'pool2d' && plan.ceilMode) return 'ceilMode is not implemented';
      return true;
    },
  } as unknown as Backend;
}

runConformance(declining, { groups: ['conv2d', 'pool2d'], capabilityDir: dir, maxElements: 3000 });

describe('capability matrix of the declining backend', () => {
  it('records skips with the backend reason and the maxElements reason, and passes the rest', () => {
    const r = JSON.parse(readFileSync(join(dir, 'declining.json'), 'utf8')) as CapabilityReport;
    expect(r.counts.failed).toBe(0);
    expect(r.counts.passed).toBeGreaterThan(50);
    const dilation = r.entries.filter((e) => e.option.includes('dilation'));
    expect(dilation.length).toBeGreaterThan(0);
    for (const e of dilation) {
      expect(e.status).toBe('skipped');
      expect(e.reason).toMatch(/dilation > 1 is not implemented/);
    }
    expect(r.entries.filter((e) => e.option.includes('ceil mode')).every((e) => e.status === 'skipped' && /ceilMode/.test(e.reason!))).toBe(true);
    // [1,64,6,6] x [8,64,3,3] has a 4608-element filter.
    expect(r.entries.find((e) => e.option === 'channels 64 in, 3x3 padding 1')?.reason).toBe('larger than maxElements (4608 > 3000)');
    const md = mergeCapabilityMarkdown([r, { ...r, backend: 'copy' }]);
    expect(md).toContain('| Kernel | declining | copy |');
    expect(md).toMatch(/\| Conv2D \| [0-9]+\/[0-9]+, [0-9]+ skipped \|/);
    expect(readFileSync(join(dir, 'declining.md'), 'utf8')).toContain('skipped: Conv2D: dilation > 1 is not implemented');
  });
});
