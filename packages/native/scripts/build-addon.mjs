#!/usr/bin/env node
// Builds the C++ addon from source with node-gyp into build/Release/stridenet_native.node (where
// node-gyp-build looks). `--asan` builds an AddressSanitizer variant into build/asan/ instead.
//
// The gyp file lives in src/native/, not at the package root: a root binding.gyp makes npm and pnpm
// run `node-gyp rebuild` as an implicit install hook, which this package must not have.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const asan = process.argv.includes('--asan');
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`@stridenet/native: ${message}`);
  process.exit(1);
}

const cxx = process.env.CXX || (process.platform === 'win32' ? 'cl' : 'c++');
if (process.platform !== 'win32') {
  const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail(
      `no C++ compiler found (tried '${cxx}'). Install one (Debian/Ubuntu: apt-get install g++ make python3; ` +
        `macOS: xcode-select --install), set CXX, or use a prebuilt binary (see README).`,
    );
  }
}

let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed; run `pnpm install` (it is a devDependency of @stridenet/native)');
}

// Use the running Node's own headers when they are installed (distro packages, official tarballs),
// so the build works offline; otherwise node-gyp downloads them.
const prefix = resolve(dirname(process.execPath), '..');
const nodedir = existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];

const src = join(root, 'src', 'native');
const work = join(root, 'build', asan ? 'gyp-asan' : 'gyp');
mkdirSync(work, { recursive: true });
const gyp = JSON.parse(readFileSync(join(src, 'binding.gyp'), 'utf8'));
const target = gyp.targets[0];
// gyp wants sources relative to the gyp file.
target.sources = target.sources.map((s) => relative(work, join(src, s)));
target.include_dirs = [dirname(require.resolve('node-addon-api')), src];
// Not 'asan': Node's own common.gypi defines that name, and its value would win.
gyp.variables['stridenet_asan%'] = asan ? 1 : 0;
writeFileSync(join(work, 'binding.gyp'), JSON.stringify(gyp, null, 2));

const jobs = process.env.JOBS ?? 'max';
const run = (args) => {
  const r = spawnSync(process.execPath, [nodeGyp, ...args], { cwd: work, stdio: 'inherit' });
  if (r.status !== 0) fail(`node-gyp ${args[0]} failed (exit ${r.status ?? r.signal})`);
};
run(['configure', ...nodedir]);
run(['build', `--jobs=${jobs}`]);
const outDir = join(root, 'build', asan ? 'asan' : 'Release');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'stridenet_native.node');
copyFileSync(join(work, 'build', 'Release', 'stridenet_native.node'), out);
console.log(`@stridenet/native: built ${out}`);
