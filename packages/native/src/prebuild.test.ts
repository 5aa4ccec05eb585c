import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from './addon.js';

// The prebuild scripts are plain Node scripts (they ship or run without a TypeScript toolchain), so
// they are run here as child processes.
const root = packageRoot();
const built = join(root, 'build', 'Release', 'stridenet_native.node');
const scratch = mkdtempSync(join(tmpdir(), 'stridenet-prebuild-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

describe('prebuilds', () => {
  it("are named so that node-gyp-build picks them on glibc and skips them on musl", () => {
    // A fake package holding only prebuilds/<platform>-<arch>/<prebuildName>, a copy of the local build.
    const script = `
      import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
      import { createRequire } from 'node:module';
      import { join } from 'node:path';
      import { prebuildName } from './scripts/prebuild.mjs';
      const dir = ${JSON.stringify(join(scratch, 'pkg'))};
      const sub = join(dir, 'prebuilds', process.platform + '-' + process.arch);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"name":"fake-native"}');
      copyFileSync(${JSON.stringify(built)}, join(sub, prebuildName(process.platform)));
      const found = createRequire(join(process.cwd(), 'package.json'))('node-gyp-build').resolve(dir);
      console.log(found.slice(dir.length + 1));`;
    const glibc = node(['--input-type=module', '-e', script]);
    expect(glibc.stderr).toBe('');
    const expected = `prebuilds/${process.platform}-${process.arch}/stridenet_native.napi${process.platform === 'linux' ? '.glibc' : ''}.node`;
    expect(glibc.stdout.trim()).toBe(expected);
    if (process.platform === 'linux') {
      const musl = node(['--input-type=module', '-e', script], { LIBC: 'musl' });
      expect(musl.status).not.toBe(0);
      expect(musl.stderr).toContain('No native build was found for platform=linux');
    }
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('check-baseline accepts this build: no -march, AVX only where dispatched', () => {
    const r = node(['scripts/check-baseline.mjs', built]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/baseline x86-64: \d+ compile commands without -march\/-mtune\/ISA flags; the \d+ functions with AVX\/AVX-512 code/);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('check-baseline rejects a library whose plain code was compiled with -mavx2', () => {
    const src = join(scratch, 'stray.cc');
    writeFileSync(src, 'void addInto(float* a, const float* b, int n) { for (int i = 0; i < n; i++) a[i] += b[i]; }\n');
    const lib = join(scratch, 'stray.so');
    const cc = spawnSync(process.env.CXX || 'c++', ['-shared', '-fPIC', '-O3', '-mavx2', src, '-o', lib], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const r = node(['scripts/check-baseline.mjs', lib]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('AVX/AVX-512 code outside the run-time dispatched regions: addInto(float*, float const*, int)');
  });
});
