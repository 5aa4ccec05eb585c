#!/usr/bin/env node
// Fills prebuilds/<platform>-<arch>/ with the addon binaries the package ships, in node-gyp-build's
// layout (src/addon.ts loads through it): `node scripts/prebuild.mjs [--arch x64,arm64]`, or
// `pnpm --filter @stridenet/native build:prebuilds` (named so that no package manager
// runs it as a pre-script of `build`). Default: the host's arch,
// and on a linux-x64 host also linux-arm64 (cross-compiled with g++-aarch64-linux-gnu).
//
// Per target it runs scripts/build-addon.mjs's build, which is incremental (make recompiles only what
// changed: a few seconds when build/Release or build/arm64 is current, as after `pnpm build` and
// `test:arm64` in CI), so what ships is the binary the tests ran, never a stale one. Then:
// - x86-64: scripts/check-baseline.mjs proves the build carries no -march/ISA flags and that every AVX
//   or AVX-512 instruction sits in a run-time dispatched region (fails otherwise);
// - checks the ELF machine (Linux) and strips the symbol table (Node-API needs only dynamic symbols);
// - writes prebuilds/<platform>-<arch>/stridenet_native.napi[.glibc].node (napi: one binary for every
//   Node version; glibc: node-gyp-build skips it on musl systems, which then build from source),
//   replacing any older file there atomically;
// - host arch: loads the stripped copy in a child Node and calls info();
// - prints the size and, on Linux, the newest GLIBC_ / GLIBCXX_ symbol versions it needs.
//
// prebuilds/ is ignored by git: the release workflow (.github/workflows/release.yml) and CI run this
// before packing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddon, crossTargets, elfMachine, fail, hostElf, root } from './build-addon.mjs';
import { checkBaseline } from './check-baseline.mjs';

/** File name inside prebuilds/<platform>-<arch>/ (tags read by node-gyp-build: napi, libc). */
export function prebuildName(platform) {
  return platform === 'linux' ? 'stridenet_native.napi.glibc.node' : 'stridenet_native.napi.node';
}

function parseArchs(argv) {
  let archs = process.platform === 'linux' && process.arch === 'x64' ? ['x64', 'arm64'] : [process.arch];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = a === '--arch' ? argv[++i] : a.startsWith('--arch=') ? a.slice('--arch='.length) : fail(`unknown option '${a}' (options: --arch <list>)`);
    if (!value) fail('--arch needs a value, such as x64,arm64');
    archs = value.split(',');
  }
  for (const arch of archs) {
    if (arch !== process.arch && !crossTargets[arch]) {
      fail(`--arch: cannot build '${arch}' on ${process.platform}-${process.arch} (expected '${process.arch}'${process.platform === 'linux' ? `, ${Object.keys(crossTargets).map((t) => `'${t}'`).join(', ')}` : ''})`);
    }
  }
  return archs;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) fail(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}

/** Newest GLIBC_ and GLIBCXX_ versions among the binary's dynamic symbol references. */
function glibcNeeds(file) {
  const newest = (prefix) =>
    [...run('objdump', ['-T', file]).matchAll(new RegExp(`\\b${prefix}_([0-9.]+)`, 'g'))]
      .map((m) => m[1])
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .at(-1);
  return `needs GLIBC_${newest('GLIBC')}, GLIBCXX_${newest('GLIBCXX')}`;
}

function prebuild(arch) {
  const built = buildAddon({ arch });
  const platform = process.platform;
  const notes = [];
  if (platform === 'linux') {
    const expected = hostElf[arch] ?? fail(`no ELF machine known for '${arch}'`);
    const machine = elfMachine(built);
    if (machine !== expected.elfMachine) fail(`${built} is not an ${expected.elfName} ELF binary (e_machine ${machine})`);
    if (arch === 'x64') {
      try {
        notes.push(checkBaseline(built));
      } catch (e) {
        fail(e.message);
      }
    }
  }
  const dir = join(root, 'prebuilds', `${platform}-${arch}`);
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, prebuildName(platform));
  const tmp = `${dest}.tmp-${process.pid}`;
  copyFileSync(built, tmp);
  try {
    if (platform === 'linux') run(arch === process.arch ? 'strip' : `${crossTargets[arch].triplet}-strip`, ['--strip-unneeded', tmp]);
    else if (platform === 'darwin') run('strip', ['-x', tmp]);
    for (const old of readdirSync(dir)) if (old.endsWith('.node') && join(dir, old) !== dest) rmSync(join(dir, old));
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
  if (arch === process.arch) {
    const probe = spawnSync(process.execPath, ['-e', `const i = require(${JSON.stringify(dest)}).info(); console.log(i.isas.join(','))`], { encoding: 'utf8' });
    if (probe.status !== 0) fail(`${dest} does not load in this Node: ${probe.stderr.trim()}`);
    notes.push(`loads here (ISA paths ${probe.stdout.trim()})`);
  }
  if (platform === 'linux') notes.push(glibcNeeds(dest));
  const kib = Math.round(statSync(dest).size / 1024);
  console.log(`@stridenet/native: prebuilt ${dest} (${kib} KiB)\n  ${notes.join('\n  ')}`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const t0 = performance.now();
  for (const arch of parseArchs(process.argv.slice(2))) prebuild(arch);
  console.log(`@stridenet/native: prebuilds done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
