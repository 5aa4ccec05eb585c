#!/usr/bin/env node
// Builds the addon with AddressSanitizer and runs the test suite against it. Node itself is not
// instrumented, so libasan must be preloaded; leak detection is off because Node keeps
// process-lifetime allocations that LeakSanitizer would report at exit.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(process.execPath, [join(root, 'scripts/build-addon.mjs'), '--asan'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const binary = join(root, 'build', 'asan', 'stridenet_native.node');
// Guards against a silently uninstrumented build, which would make this run prove nothing.
if (!readFileSync(binary).includes('__asan_init')) {
  console.error(`@stridenet/native: ${binary} is not instrumented with AddressSanitizer`);
  process.exit(1);
}

const cxx = process.env.CXX || 'c++';
const lib = spawnSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!lib || !existsSync(lib)) {
  console.error(`@stridenet/native: libasan.so not found via '${cxx} -print-file-name=libasan.so' (Debian: apt-get install libasan8)`);
  process.exit(1);
}
const r = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    LD_PRELOAD: lib,
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
    STRIDENET_NATIVE_ADDON: binary,
    // Tests that size their work to the build read it (compiled-training.test.ts).
    STRIDENET_ASAN: '1',
  },
});
process.exit(r.status ?? 1);
