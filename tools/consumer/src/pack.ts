// Packs every publishable workspace package with `pnpm pack`, which rewrites workspace: ranges to
// real versions, as `pnpm publish` would.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';

export interface Packed {
  name: string;
  dir: string;
  tarball: string;
  /** Why the tarball is not what users must get (the other steps still run, the test fails). */
  problem?: string;
}

interface Manifest {
  name: string;
  private?: boolean;
  scripts?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Workspace packages that are published: packages/* and apps/* without `private: true`. */
export function publishable(root: string): { name: string; dir: string }[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((d) => join(root, group, d))
      .filter((d) => existsSync(join(d, 'package.json')) && !manifest(d).private)
      .map((dir) => ({ name: manifest(dir).name, dir })),
  );
}

const NATIVE = '@stridenet/native';

/** Builds the native prebuilds the tarball ships; without them a user without a compiler gets no backend. */
export function prebuildNative(root: string): void {
  const dir = join(root, 'packages', 'native');
  if (!manifest(dir).scripts?.['build:prebuilds']) {
    throw new Error(
      `${NATIVE} has no 'build:prebuilds' script (packages/native/package.json): the tarball would ship no prebuilds/ and ` +
        'a user without a C++ compiler would get no native backend (issue #13). Add the build:prebuilds script, then rerun.',
    );
  }
  exec('pnpm', ['--filter', NATIVE, 'build:prebuilds'], { cwd: root, stdio: 'inherit', timeoutMs: 600_000 });
}

export function pack(root: string, into: string): Packed[] {
  return publishable(root).map(({ name, dir }): Packed => {
    const { stdout } = exec('pnpm', ['pack', '--pack-destination', into], { cwd: dir });
    const tarball = stdout.trim().split('\n').reverse().find((l) => l.endsWith('.tgz'))?.trim();
    if (!tarball || !existsSync(tarball)) throw new Error(`pnpm pack in ${dir} wrote no tarball:\n${stdout}`);
    if (name === NATIVE) {
      const files = exec('tar', ['tzf', tarball], { cwd: into }).stdout.split('\n');
      const binary = `package/prebuilds/${process.platform}-${process.arch}/`;
      if (!files.some((f) => f.startsWith(binary) && f.endsWith('.node'))) {
        return { name, dir, tarball, problem: `${tarball} has no ${binary}*.node: the prebuild for this platform is missing from the package` };
      }
    }
    return { name, dir, tarball };
  });
}
