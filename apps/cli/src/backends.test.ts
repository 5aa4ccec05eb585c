import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackends } from '@stridenet/core';
import { BACKEND_NAMES } from './backends.js';
import { statusAndReason } from './commands/backends.js';
import { runCliIn } from './cli.testutil.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-cli-backends-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a backends listing line', () => {
  const base = { name: 'wasm' as const, packageName: '@stridenet/wasm' };

  it('says "not installed" once and gives the npm command as the reason', () => {
    const r = statusAndReason({
      ...base,
      installed: false,
      usable: false,
      reason: "not installed (npm i @stridenet/wasm): Cannot find package '@stridenet/wasm' imported from /x/cli.js",
    });
    expect(r).toEqual({ status: 'not installed', reason: 'npm i @stridenet/wasm' });
  });

  it('keeps an import error that is not a missing package', () => {
    const r = statusAndReason({ ...base, installed: false, usable: false, reason: 'not installed (npm i @stridenet/wasm): Unexpected token export' });
    expect(r).toEqual({ status: 'not installed', reason: 'npm i @stridenet/wasm (importing it failed: Unexpected token export)' });
  });

  it('gives why an installed backend cannot run, and what a usable one runs on', () => {
    expect(statusAndReason({ ...base, name: 'webgpu', installed: true, usable: false, reason: 'no GPU adapter' })).toEqual({ status: 'cannot run here', reason: 'no GPU adapter' });
    expect(statusAndReason({ ...base, name: 'cpu-js', installed: true, usable: true, info: { name: 'cpu-js', threads: 1, simd: false, device: 'JavaScript' } as never })).toEqual({
      status: 'usable',
      reason: '1 thread, JavaScript',
    });
  });
});

describe('stridenet backends', () => {
  it('prints name, status and reason per backend, what auto picks, and no native runtime warnings', () => {
    const r = runCliIn(work, ['backends']);
    expect(r.code).toBe(0);
    // Dawn (webgpu's runtime) logs "Warning: ... artificially reduced ..." on stderr while its adapter starts.
    expect(r.stderr).not.toMatch(/^Warning: /m);
    const lines = r.stdout.split('\n');
    for (const name of BACKEND_NAMES) {
      const line = lines.find((l) => l.startsWith(`${name.padEnd(8)} `));
      expect(line, name).toMatch(/^\S+ +(usable|not installed|cannot run here) +\S/);
      expect(line).not.toMatch(/not installed.*not installed/);
    }
    const auto = lines.find((l) => l.startsWith('--backend auto: '));
    expect(auto).toContain(`the first usable of ${listBackends().join(', ')}`);
    expect(r.stdout).not.toContain('stridenet-bench');
    expect(r.stdout).toContain('| kernel / option |');
  });

  it("--help of --backend says what auto picks and points to 'stridenet backends', not to the bench", () => {
    const r = runCliIn(work, ['train', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`auto (the default) starts the first of ${listBackends().join(', ')} that runs here`);
    expect(help).toContain('`stridenet backends` shows which');
    expect(help).not.toContain('stridenet-bench');
    // The child-probe command is internal: neither in the help nor in the completion script.
    expect(runCliIn(work, ['--help']).stdout).not.toContain('__probe-backend');
    expect(runCliIn(work, ['completion']).stdout).not.toContain('__probe-backend');
  });
});
