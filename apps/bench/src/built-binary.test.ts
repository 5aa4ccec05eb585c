// The built stridenet-bench (dist/bin.js) under plain Node, as a user runs it: no TypeScript loader to
// paper over packages whose ESM build Node cannot resolve (tfjs-core's gradients). CI builds before testing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from './schema.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist', 'bin.js');
const out = mkdtempSync(join(tmpdir(), 'bench-built-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function tfjsInstalled(): boolean {
  try {
    createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs-core');
    return true;
  } catch {
    return false;
  }
}

describe('the built binary', () => {
  it('runs TF.js (inference and a checked training step) with --runners tfjs-cpu, or says why not in every report', () => {
    expect(existsSync(bin), `${bin} is missing: build the bench first (pnpm --filter stridenet-bench build)`).toBe(true);
    const r = spawnSync(process.execPath, [bin, 'run', '--smoke', '--suite', 'models', '--filter', 'lenet5', '--runners', 'cpu-js,tfjs-cpu', '--threads', '1', '--out', out, '--no-progress'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as BenchReport;
    const md = readFileSync(join(out, 'bench.md'), 'utf8');
    const page = readFileSync(join(out, 'bench.html'), 'utf8');
    const tfjs = report.runners.find((x) => x.id === 'tfjs-cpu');
    expect(tfjs, 'a requested runner is always listed').toBeDefined();
    if (!tfjsInstalled()) {
      expect(tfjs!.available).toBe(false);
      expect(md).toContain(`- **tfjs-cpu** (1T requested): not available: ${tfjs!.reason}`);
      expect(page).toContain('<b>tfjs-cpu</b> (1T): not available');
      return;
    }
    expect(tfjs!.available, tfjs!.reason).toBe(true);
    const results = report.results.filter((x) => x.runner === 'tfjs-cpu');
    expect(results.map((x) => x.workload).sort()).toEqual(report.workloads.map((w) => w.id).sort());
    for (const x of results) expect(x.status, `${x.workload}: ${x.reason ?? ''}`).toBe('ok');
    const train = results.find((x) => x.workload.includes('/train'))!;
    // The gradients loaded: one TF.js step matches the cpu-js reference step (loss and every weight).
    expect(train.check?.kind).toBe('train');
    expect(train.correct).toBe(true);
    expect(md).toMatch(/\| workload \| cpu-js 1T \| tfjs-cpu 1T \|/);
  });
});
