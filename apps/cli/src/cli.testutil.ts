// Shared by the CLI tests: the CLI is spawned as a user would run it, a separate node process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIdx } from '@stridenet/datasets';

export const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));
// Run from the package so `--import tsx` resolves; every path handed to the CLI is absolute.
export const cwd = fileURLToPath(new URL('..', import.meta.url));
export const nodeArgs = ['--conditions=@stridenet/source', '--import', 'tsx'];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion; `work` holds the (absent) recommendation file so runs do not read the user's. */
export function runCliIn(work: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env, STRIDENET_RECOMMENDATION: join(work, 'no-recommendation.json') },
    timeout: 240_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A small learnable IDX dataset: each class is a bright bar at its own row. */
export function writeIdxDataset(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  const make = (count: number, seed: number) => {
    const images = new Uint8Array(count * 28 * 28);
    const labels = new Uint8Array(count);
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < count; i++) {
      const c = i % 10;
      labels[i] = c;
      for (let p = 0; p < 28 * 28; p++) images[i * 784 + p] = Math.floor(rand() * 60);
      const row = 2 + c * 2 + Math.floor(rand() * 2);
      for (let x = 4; x < 24; x++) images[i * 784 + row * 28 + x] = 200 + Math.floor(rand() * 55);
    }
    return { images, labels };
  };
  for (const [prefix, count, seed] of [['train', train, 1], ['t10k', test, 2]] as const) {
    const { images, labels } = make(count, seed);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx({ dtype: 'uint8', dims: [count, 28, 28], data: images }));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx({ dtype: 'uint8', dims: [count], data: labels }));
  }
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function readJSON<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves to the exit code. */
  exit: Promise<number>;
  /** Resolves once `seen(stdout so far)` holds; rejects after `ms`. */
  waitFor(seen: (stdout: string) => boolean, ms?: number): Promise<void>;
}

/** Starts the CLI in the background (for signals and concurrent runs). */
export function spawnCliIn(work: string, args: string[]): RunningCli {
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], { cwd, env: { ...process.env, STRIDENET_RECOMMENDATION: join(work, 'none.json') } });
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  const waitFor = (seen: (stdout: string) => boolean, ms = 120_000) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (seen(out)) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > ms) {
          clearInterval(poll);
          reject(new Error(`the CLI did not get there in ${ms} ms; stdout: ${out}`));
        }
      }, 20);
    });
  return { child, exit, waitFor };
}
