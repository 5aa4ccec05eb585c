#!/usr/bin/env node
// Builds the C++ addon from source with node-gyp into build/Release/stridenet_native.node (where
// node-gyp-build looks). `--asan` builds an AddressSanitizer variant into build/asan/ instead.
// `--arch arm64` cross-compiles for linux-arm64 (on a linux-x64 host) into build/arm64/, which the
// loader never picks on its own: scripts/test-arm64.mjs runs it under QEMU via STRIDENET_NATIVE_ADDON.
//
// The gyp file lives in src/native/, not at the package root: a root binding.gyp makes npm and pnpm
// run `node-gyp rebuild` as an implicit install hook, which this package must not have.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`@stridenet/native: ${message}`);
  process.exit(1);
}

// Cross targets: the GNU toolchain triplet, the Debian package that provides it, and the ELF
// e_machine value the result must carry (checked after the build).
const crossTargets = {
  arm64: { triplet: 'aarch64-linux-gnu', apt: 'g++-aarch64-linux-gnu', elfMachine: 0xb7, elfName: 'ARM aarch64' },
};

function parseArgs(argv) {
  const opts = { asan: false, arch: process.arch };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--asan') opts.asan = true;
    else if (a === '--arch') opts.arch = argv[++i] ?? fail('--arch needs a value (supported: arm64)');
    else if (a.startsWith('--arch=')) opts.arch = a.slice('--arch='.length);
    else fail(`unknown option '${a}' (options: --asan, --arch <arch>)`);
  }
  return opts;
}

const { asan, arch } = parseArgs(process.argv.slice(2));
const cross = arch === process.arch ? undefined : crossTargets[arch];
if (arch !== process.arch) {
  if (!cross) fail(`cannot cross-compile for '${arch}' (supported: ${Object.keys(crossTargets).join(', ')})`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(`--arch ${arch} cross-compiles from a linux-x64 host only (this is ${process.platform}-${process.arch})`);
  }
  if (asan) fail('--asan and --arch cannot be combined');
}

// Output layout: build/Release (native), build/asan, build/<arch> for cross builds; each has its own
// gyp work directory so that none of them overwrites another.
const variant = cross ? arch : asan ? 'asan' : undefined;
const work = join(root, 'build', variant ? `gyp-${variant}` : 'gyp');
const outDir = join(root, 'build', variant ?? 'Release');

const env = { ...process.env };
if (cross) {
  // The host's CXX/CC (if set) would build x86-64 objects; the cross toolchain replaces them.
  env.CXX = `${cross.triplet}-g++`;
  env.CC = `${cross.triplet}-gcc`;
}
const cxx = env.CXX || (process.platform === 'win32' ? 'cl' : 'c++');
if (process.platform !== 'win32') {
  const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail(
      cross
        ? `the ${arch} cross compiler '${cxx}' is not installed (Debian/Ubuntu: apt-get install ${cross.apt})`
        : `no C++ compiler found (tried '${cxx}'). Install one (Debian/Ubuntu: apt-get install g++ make python3; ` +
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
// so the build works offline; otherwise node-gyp downloads them. The headers do not depend on the
// CPU, so a cross build uses the same ones (the addon only calls Node-API, which is ABI-stable).
const prefix = resolve(dirname(process.execPath), '..');
const nodedir = existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];

const src = join(root, 'src', 'native');
mkdirSync(work, { recursive: true });
const gyp = JSON.parse(readFileSync(join(src, 'binding.gyp'), 'utf8'));
const target = gyp.targets[0];
// The kernel sources come from generated/kernels.gypi (written by tools/spec-gen from core's spec).
// The gyp file is rewritten into the build folder, where gyp would not rebase paths inside an included
// variable, so the list is expanded here and every source made relative to the new gyp file.
const gypi = JSON.parse(readFileSync(join(src, 'generated', 'kernels.gypi'), 'utf8').replace(/^#.*$/gm, ''));
const kernelSources = gypi.variables.stridenet_kernel_sources;
target.sources = target.sources
  .flatMap((s) => (s === '<@(stridenet_kernel_sources)' ? kernelSources : [s]))
  .map((s) => relative(work, join(src, s)));
delete gyp.includes;
target.include_dirs = [dirname(require.resolve('node-addon-api')), src];
// Not 'asan': Node's own common.gypi defines that name, and its value would win.
gyp.variables['stridenet_asan%'] = asan ? 1 : 0;
writeFileSync(join(work, 'binding.gyp'), JSON.stringify(gyp, null, 2));

const jobs = process.env.JOBS ?? 'max';
const run = (args) => {
  const r = spawnSync(process.execPath, [nodeGyp, ...args], { cwd: work, stdio: 'inherit', env });
  if (r.status !== 0) fail(`node-gyp ${args[0]} failed (exit ${r.status ?? r.signal})`);
};
run(['configure', ...nodedir, ...(cross ? [`--arch=${arch}`] : [])]);
run(['build', `--jobs=${jobs}`]);
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'stridenet_native.node');
const built = join(work, 'build', 'Release', 'stridenet_native.node');
if (cross) {
  // An ELF header's e_machine (little-endian u16 at offset 18) names the CPU: catches a toolchain
  // mix-up that produced a host binary, which would fail to load only later, under emulation.
  const head = readFileSync(built).subarray(0, 20);
  const isElf = head.length === 20 && head.readUInt32BE(0) === 0x7f454c46;
  if (!isElf || head.readUInt16LE(18) !== cross.elfMachine) {
    fail(`${built} is not an ${cross.elfName} ELF binary (e_machine ${isElf ? `0x${head.readUInt16LE(18).toString(16)}` : 'n/a: not ELF'})`);
  }
}
copyFileSync(built, out);
console.log(`@stridenet/native: built ${out}${cross ? ` (${arch})` : ''}`);
