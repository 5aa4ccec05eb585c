#!/usr/bin/env node
// Builds the C++ addon from source with node-gyp. `--asan` builds an AddressSanitizer variant into
// build-asan/ (the normal build in build/ is left alone). Fails early with a clear message when no
// C++ compiler is found.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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
        `macOS: xcode-select --install) or set CXX, or use a prebuilt binary (see README).`,
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

let cwd = root;
if (asan) {
  cwd = join(root, 'build-asan');
  mkdirSync(cwd, { recursive: true });
  const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8'));
  const target = gyp.targets[0];
  target.sources = target.sources.map((s) => join(root, s));
  target.include_dirs = [require('node-addon-api').include_dir, join(root, 'src/native')];
  gyp.variables.asan = 1;
  writeFileSync(join(cwd, 'binding.gyp'), JSON.stringify(gyp, null, 2));
}

const jobs = process.env.JOBS ?? 'max';
const run = (args) => {
  const r = spawnSync(process.execPath, [nodeGyp, ...args], { cwd, stdio: 'inherit' });
  if (r.status !== 0) fail(`node-gyp ${args[0]} failed (exit ${r.status ?? r.signal})`);
};
run(['configure', ...nodedir]);
run(['build', `--jobs=${jobs}`]);
console.log(`@stridenet/native: built ${join(cwd, 'build/Release/stridenet_native.node')}`);
