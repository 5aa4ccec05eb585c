// The native backend as a user without a C++ toolchain gets it: PATH holds only node and npm, the
// addon must come from the tarball's prebuilds/, and `npm i` of core + native must be quick.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.js';
import { newProject, npmInstall } from './install.js';
import type { Packed } from './pack.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const INSTALL_TARGET_MS = 10_000;

/** A directory with only node, npm and npx, for a PATH without compilers (/usr/bin has g++ next to node). */
function nodeOnlyBin(): string {
  const bin = mkdtempSync(join(tmpdir(), 'stridenet-node-only-'));
  const nodeDir = dirname(process.execPath);
  for (const tool of ['node', 'npm', 'npx']) symlinkSync(join(nodeDir, tool), join(bin, tool));
  return bin;
}

export function runNative(root: string, packed: Packed[], log: (l: string) => void): void {
  const tarball = (name: string) => {
    const p = packed.find((x) => x.name === name);
    if (!p) throw new Error(`native step: ${name} was not packed`);
    return p.tarball;
  };
  const bin = nodeOnlyBin();
  const env = { ...process.env, PATH: bin };
  const dir = newProject(root, 'native');
  try {
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'python3']) {
      const found = (() => {
        try {
          return exec('/bin/sh', ['-c', `command -v ${tool}`], { cwd: dir, env: { PATH: bin } }).stdout.trim();
        } catch {
          return '';
        }
      })();
      if (found) throw new Error(`native step: '${tool}' is reachable on the test PATH (${found})`);
    }
    const ms = npmInstall(dir, [tarball('@stridenet/core'), tarball('@stridenet/native')], ['--prefer-offline']);
    log(`  npm i @stridenet/core @stridenet/native (tarballs, no compiler on PATH): ${(ms / 1000).toFixed(1)} s (target < ${INSTALL_TARGET_MS / 1000} s)`);
    if (ms > INSTALL_TARGET_MS) throw new Error(`native step: npm i of core + native took ${(ms / 1000).toFixed(1)} s, over the ${INSTALL_TARGET_MS / 1000} s target`);
    const pkg = join(dir, 'node_modules', '@stridenet', 'native');
    if (readdirSync(pkg).includes('build')) throw new Error(`native step: the install compiled something (${pkg}/build exists)`);
    copyFileSync(join(FIXTURES, 'native-load.mjs'), join(dir, 'native-load.mjs'));
    const out = JSON.parse(exec(join(bin, 'node'), [join(dir, 'native-load.mjs')], { cwd: dir, env }).stdout) as {
      centre: number;
      mapped: string[];
      binary: { path: string; source: string };
      device: string;
    };
    const prebuild = `${sep}prebuilds${sep}${process.platform}-${process.arch}${sep}`;
    const addons = out.mapped.filter((p) => p.startsWith(pkg));
    if (addons.length !== 1 || !addons[0]!.includes(prebuild)) {
      throw new Error(`native step: expected the addon from ${pkg}${prebuild}, but the process mapped: ${out.mapped.join(', ') || 'no .node file'}`);
    }
    if (out.binary.source !== 'prebuild' || out.binary.path !== addons[0]) {
      throw new Error(`native step: nativeBinary() says ${JSON.stringify(out.binary)} but the process mapped ${addons[0]} from the prebuilds`);
    }
    // 3x3 ones (27 inputs) times 0.5 at an interior output pixel.
    if (out.centre !== 13.5) throw new Error(`native step: conv2d gave ${out.centre} at an interior pixel, expected 13.5`);
    log(`  ok   loaded ${addons[0]!.slice(pkg.length + 1)} (nativeBinary(): ${out.binary.source}); conv2d correct on ${out.device}`);
  } finally {
    rmSync(bin, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
