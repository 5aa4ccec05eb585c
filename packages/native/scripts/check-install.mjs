#!/usr/bin/env node
// Proves the published form of the package works without a compiler: `node scripts/check-install.mjs
// [--project DIR] [--arch x64,arm64] [--keep]`.
//
// Without --project: packs @stridenet/core and @stridenet/native with `pnpm pack` (workspace ranges
// rewritten; the prebuilds must exist: `pnpm --filter @stridenet/native build:prebuilds`), creates an
// empty project in the system temp folder and times `npm install` of the two tarballs with a PATH that
// holds only node, npm and npx (no cc, c++, g++ or make), then removes the project unless --keep.
// With --project DIR: uses a project that already installed the tarballs (the repository's consumer
// test does this for every package and then calls this script).
//
// Then, per arch (default: the host's, plus arm64 on a linux-x64 host): runs scripts/install-probe.mjs
// inside the project with the same compiler-free PATH (arm64: the arm64 Node under qemu-aarch64, see
// scripts/arm64-emulation.mjs). The probe creates the backend, checks a conv2d against a JavaScript
// reference, and must report that the binary came from the package's prebuilds/<platform>-<arch>/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, root } from './build-addon.mjs';
import { arm64Node, qemuTools } from './arm64-emulation.mjs';

const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);
const COMPILERS = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'make'];

function parseArgs(argv) {
  const opts = { project: undefined, archs: process.platform === 'linux' && process.arch === 'x64' ? ['x64', 'arm64'] : [process.arch], keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--project') opts.project = resolve(argv[++i] ?? fail('--project needs a directory'));
    else if (a === '--arch') opts.archs = (argv[++i] ?? fail('--arch needs a value, such as x64,arm64')).split(',');
    else if (a === '--keep') opts.keep = true;
    else fail(`unknown option '${a}' (options: --project DIR, --arch x64,arm64, --keep)`);
  }
  for (const arch of opts.archs) {
    if (arch !== process.arch && !(arch === 'arm64' && process.platform === 'linux' && process.arch === 'x64')) {
      fail(`--arch: cannot run '${arch}' code on ${process.platform}-${process.arch} (expected '${process.arch}' or, on linux-x64, 'arm64')`);
    }
  }
  return opts;
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** A folder with links to node, npm and npx only: the PATH of a machine without a C++ toolchain. */
function compilerFreePath(scratch) {
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['npm', 'npx']) {
    const found = which(tool) ?? fail(`${tool} is not on PATH`);
    symlinkSync(realpathSync(found), join(bin, tool));
  }
  const leaked = COMPILERS.filter((c) => readdirSync(bin).includes(c));
  if (leaked.length > 0) fail(`the compiler-free PATH holds ${leaked.join(', ')}`);
  return bin;
}

function pack(pkgDir, dest) {
  const r = spawnSync('pnpm', ['pack', '--pack-destination', dest], { cwd: pkgDir, encoding: 'utf8' });
  if (r.error || r.status !== 0) fail(`pnpm pack in ${pkgDir} failed: ${r.error?.message ?? r.stderr}`);
  const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz') && f.startsWith(pkgDir.endsWith('core') ? 'stridenet-core' : 'stridenet-native'));
  return join(dest, tgz ?? fail(`pnpm pack in ${pkgDir} wrote no tarball to ${dest}`));
}

const opts = parseArgs(process.argv.slice(2));
const scratch = mkdtempSync(join(tmpdir(), 'stridenet-native-install-'));
const bin = compilerFreePath(scratch);
const env = { ...process.env, PATH: bin };
let project = opts.project;
try {
  if (!project) {
    for (const arch of opts.archs) {
      const dir = join(root, 'prebuilds', `${process.platform}-${arch}`);
      if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.node'))) {
        fail(`${relative(root, dir)} has no binary: run \`pnpm --filter @stridenet/native build:prebuilds\` first`);
      }
    }
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    const core = pack(join(root, '..', 'core'), tarballs);
    const native = pack(root, tarballs);
    project = join(scratch, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'native-install-check', private: true, type: 'module' }, null, 2)}\n`);
    const t0 = performance.now();
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', core, native], { cwd: project, env, stdio: 'inherit' });
    if (r.status !== 0) fail(`npm install of ${core} and ${native} failed (exit ${r.status ?? r.error?.message})`);
    console.log(`@stridenet/native check-install: npm install of core + native took ${seconds(t0)} s (PATH without ${COMPILERS.join(', ')})`);
  }
  const installed = join(project, 'node_modules', '@stridenet', 'native');
  if (!existsSync(join(installed, 'package.json'))) fail(`${project} has no node_modules/@stridenet/native`);
  const probe = join(project, 'stridenet-native-probe.mjs');
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), 'install-probe.mjs'), probe);
  for (const arch of opts.archs) {
    const probeEnv = { ...env, EXPECT_SOURCE: 'prebuild' };
    delete probeEnv.STRIDENET_NATIVE_ADDON;
    let cmd = process.execPath;
    let args = [probe];
    if (arch !== process.arch) {
      const { qemu, sysroot } = qemuTools(fail);
      args = [arm64Node(fail), probe];
      cmd = qemu;
      probeEnv.QEMU_LD_PREFIX = sysroot;
    }
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: project, env: probeEnv, encoding: 'utf8' });
    process.stderr.write(r.stderr ?? '');
    if (r.status !== 0) fail(`the ${arch} probe failed (exit ${r.status ?? r.signal ?? r.error?.message}):\n${r.stdout}`);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1));
    const expectedDir = join(realpathSync(installed), 'prebuilds', `${process.platform}-${arch}`);
    if (report.platform !== `${process.platform}-${arch}` || dirname(realpathSync(report.binary.path)) !== expectedDir) {
      fail(`the ${arch} probe ran on ${report.platform} and loaded ${report.binary.path}, expected a binary in ${expectedDir}`);
    }
    console.log(
      `@stridenet/native check-install: ${report.platform}${arch === process.arch ? '' : ' (qemu)'} ${report.node}: ` +
        `${relative(project, report.binary.path)} (${report.binary.source}), isa ${report.isa}, conv2d max error ${report.maxError.toExponential(1)}, ` +
        `backend + conv ${report.ms} ms, process ${seconds(t0)} s`,
    );
  }
} finally {
  if (opts.keep && !opts.project) console.log(`@stridenet/native check-install: kept ${project}`);
  else rmSync(scratch, { recursive: true, force: true });
}
