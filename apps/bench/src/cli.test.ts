import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli.js';
import { syntheticReport } from './testutil.js';

describe('command line', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('rejects a bad option naming the value and what is expected, also after a pnpm "--"', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['node', 'stridenet-bench', 'run', '--', '--suite', 'bogus'])).toBe(1);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain("--suite is 'bogus' but expected ops, models or all");
  });

  it('rejects a --peer-isa other than auto or avx2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['node', 'stridenet-bench', 'run', '--peer-isa', 'avx512', '--runners', 'cpu-js'])).toBe(1);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain("--peer-isa is 'avx512' but expected auto or avx2");
  });

  it('compare prints and writes the side-by-side table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(syntheticReport({ 'model/lenet5/infer': { native: 4 } })));
    writeFileSync(b, JSON.stringify(syntheticReport({ 'model/lenet5/infer': { native: 2 } })));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['node', 'stridenet-bench', 'compare', a, b, '--out', join(dir, 'cmp.md')])).toBe(0);
    expect(out.mock.calls.map((c) => String(c[0])).join('')).toContain('| model/lenet5/infer | native 1T | 4.00 ms | 2.00 ms | 2.00x |');
    expect(readFileSync(join(dir, 'cmp.md'), 'utf8')).toContain('2.00x');
  });
});
