#!/usr/bin/env node
// Builds the C++ addon from source with node-gyp into build/Release/stridenet_native.node (where
// node-gyp-build looks). `--asan` builds an AddressSanitizer variant into build/asan/ instead.
// `--arch arm64` cross-compiles for linux-arm64 (on a linux-x64 host) into build/arm64/, which the
// loader never picks on its own: scripts/test-arm64.mjs runs it under QEMU via STRIDENET_NATIVE_ADDON,
// scripts/prebuild.mjs copies it to prebuilds/linux-arm64/.
//
// This file ships in the package: from an installed copy, `node node_modules/@stridenet/native/scripts/build-addon.mjs`
// (or `npm explore @stridenet/native -- npm run build:addon`) builds the addon where prebuilds/ has
// none for the platform. node-gyp is not a runtime dependency (it would add ~100 packages to every
// install); findNodeGyp() tries an installed one, then npm's own copy, then `npx node-gyp@NODE_GYP_VERSION`.
//
// The gyp file lives in src/native/, not at the package root: a root binding.gyp makes npm and pnpm
// run `node-gyp rebuild` as an implicit install hook, which this package must not have.
//
// Importable (scripts/prebuild.mjs, scripts/test-arm64.mjs): buildAddon(), crossTargets, elfMachine().
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The node-gyp the fallback runs through npx (the version the monorepo pins as a devDependency). */
export const NODE_GYP_VERSION = '12.1.0';

/** How a user of the installed package builds the addon (every error that asks for a build names it). */
export const BUILD_COMMAND = 'npm explore @stridenet/native -- npm run build:addon';

export function fail(message) {
  console.error(`@stridenet/native: ${message}`);
  process.exit(1);
}

// Cross targets: the GNU toolchain triplet, the Debian package that provides it, and the ELF
// e_machine value the result must carry (checked after the build).
export const crossTargets = {
  arm64: { triplet: 'aarch64-linux-gnu', apt: 'g++-aarch64-linux-gnu', elfMachine: 0xb7, elfName: 'ARM aarch64' },
};
/** e_machine of the host's own builds, for the same check on them. */
export const hostElf = { x64: { elfMachine: 0x3e, elfName: 'x86-64' }, arm64: crossTargets.arm64 };

/** An ELF file's e_machine (little-endian u16 at offset 18), or undefined when it is not ELF. */
export function elfMachine(file) {
  const head = readFileSync(file).subarray(0, 20);
  return head.length === 20 && head.readUInt32BE(0) === 0x7f454c46 ? head.readUInt16LE(18) : undefined;
}

/**
 * The node-gyp to run, as [command, ...leading args]: this package's resolution (the monorepo's
 * devDependency, or one the user installed), then the copy bundled with npm (offline), then
 * `npx --yes node-gyp@NODE_GYP_VERSION` (needs the npm registry once).
 */
export function findNodeGyp() {
  try {
    return { argv: [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')], from: 'installed node-gyp' };
  } catch {
    // not installed next to this package: try npm's copy
  }
  const bin = process.platform === 'win32' ? dirname(process.execPath) : join(dirname(process.execPath), '..', 'lib');
  const candidates = [process.env.npm_config_node_gyp, join(bin, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  for (const c of candidates) {
    if (c && existsSync(c)) return { argv: [process.execPath, realpathSync(c)], from: `npm's bundled node-gyp (${c})` };
  }
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const probe = spawnSync(npx, ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (probe.error || probe.status !== 0) {
    fail(
      'node-gyp was not found (not installed next to @stridenet/native, no npm-bundled copy, no npx on PATH). ' +
        `Install it (\`npm i -D node-gyp@${NODE_GYP_VERSION}\`) and run \`${BUILD_COMMAND}\` again`,
    );
  }
  return { argv: [npx, '--yes', `node-gyp@${NODE_GYP_VERSION}`], from: `npx node-gyp@${NODE_GYP_VERSION}`, shell: process.platform === 'win32' };
}

export function parseArgs(argv) {
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

/**
 * Builds (incrementally: make recompiles only what changed) and returns the output path:
 * build/Release (native), build/asan, or build/<arch> for cross builds; each has its own gyp work
 * directory so that none of them overwrites another.
 */
export function buildAddon({ asan = false, arch = process.arch } = {}) {
  const cross = arch === process.arch ? undefined : crossTargets[arch];
  if (arch !== process.arch) {
    if (!cross) fail(`cannot cross-compile for '${arch}' (supported: ${Object.keys(crossTargets).join(', ')})`);
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      fail(`--arch ${arch} cross-compiles from a linux-x64 host only (this is ${process.platform}-${process.arch})`);
    }
    if (asan) fail('--asan and --arch cannot be combined');
  }
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
              `macOS: xcode-select --install) or set CXX, then run \`${BUILD_COMMAND}\` again. ` +
              'Prebuilt binaries exist for linux-x64 and linux-arm64 (glibc); see the README, "Platforms"',
      );
    }
  }
  const nodeGyp = findNodeGyp();

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
  // Not 'asan': Node's own common.gypi defines that name, and its value would win. The gyp file's asan
  // condition appends -O1 -g1 after the -O3 (the last -O wins): ASan's recommended level, and line tables
  // for the stack traces; with its checks as calls into libasan and no use-after-scope poisoning, isa/avx2.cc
  // took 38 s CPU on the 2-vCPU Zen 5 dev box, 281-351 s with inline checks (see the README, "Developing").
  gyp.variables['stridenet_asan%'] = asan ? 1 : 0;
  writeFileSync(join(work, 'binding.gyp'), JSON.stringify(gyp, null, 2));

  console.log(`@stridenet/native: building with ${nodeGyp.from}`);
  const jobs = process.env.JOBS ?? 'max';
  const run = (args) => {
    const [cmd, ...lead] = nodeGyp.argv;
    const r = spawnSync(cmd, [...lead, ...args], { cwd: work, stdio: 'inherit', env, shell: nodeGyp.shell ?? false });
    if (r.status !== 0) fail(`node-gyp ${args[0]} failed (exit ${r.status ?? r.signal ?? r.error?.message})`);
  };
  run(['configure', ...nodedir, ...(cross ? [`--arch=${arch}`] : [])]);
  run(['build', `--jobs=${jobs}`]);
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'stridenet_native.node');
  const built = join(work, 'build', 'Release', 'stridenet_native.node');
  if (cross) {
    // Catches a toolchain mix-up that produced a host binary, which would fail to load only later,
    // under emulation or on a user's machine.
    const machine = elfMachine(built);
    if (machine !== cross.elfMachine) {
      fail(`${built} is not an ${cross.elfName} ELF binary (e_machine ${machine === undefined ? 'n/a: not ELF' : `0x${machine.toString(16)}`})`);
    }
  }
  copyFileSync(built, out);
  console.log(`@stridenet/native: built ${out}${cross ? ` (${arch})` : ''}`);
  return out;
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  buildAddon(parseArgs(process.argv.slice(2)));
}
