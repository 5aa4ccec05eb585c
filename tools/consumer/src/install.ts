// A fresh npm project in the system temp directory, outside the workspace, with the tarballs installed
// the way a user installs published packages.
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { exec } from './exec.js';

export const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error'];

/** Throws if `dir` is inside the repository or any parent directory has a node_modules (which Node would resolve from). */
export function assertIsolated(dir: string, root: string): void {
  const rel = relative(realpathSync(root), realpathSync(dir));
  if (!rel.startsWith('..') && !isAbsolute(rel)) throw new Error(`consumer directory ${dir} is inside the repository ${root}`);
  for (let d = dirname(realpathSync(dir)); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) {
      throw new Error(`consumer directory ${dir}: parent ${d} has a node_modules, so packages could resolve from outside the install`);
    }
    if (dirname(d) === d) break;
  }
}

/** mkdtemp under the system temp dir plus `npm init -y`. */
export function newProject(root: string, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `stridenet-${label}-`));
  assertIsolated(dir, root);
  exec('npm', ['init', '-y'], { cwd: dir });
  return dir;
}

/** `npm i` of the given specs (tarball paths or registry names); returns the wall time in ms. */
export function npmInstall(dir: string, specs: string[], extra: string[] = []): number {
  return exec('npm', ['i', ...NPM_FLAGS, ...extra, ...specs], { cwd: dir, timeoutMs: 600_000 }).ms;
}
