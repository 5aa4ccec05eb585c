import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, appendFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '@stridenet/core/node';
import { UsageError } from './errors.js';

export type RunState = 'running' | 'interrupted' | 'failed' | 'complete';

/** Why a run failed: it diverged, or something went wrong (the message says what). */
export type FailureReason = 'diverged' | 'error';

export interface RunStatus {
  state: RunState;
  epoch: number;
  step: number;
  updatedAt: string;
  /** With state 'failed'. */
  reason?: FailureReason;
  /** With state 'interrupted' after training had ended (in the final evaluation): what ended it. */
  trainingDone?: 'completed' | 'early-stopping';
  message?: string;
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

// Temporary files of an atomic write (`.<name>.<pid>.<hex>.tmp`, see writeFileAtomic) and of taking the lock.
const TEMP_FILE = /^\..+\.tmp$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A training run's directory. Files: config.json, status.json, metrics.jsonl, model.json,
 * checkpoints/latest.safetensors and best.safetensors, and — only once the run completed —
 * weights.safetensors and report.html. status.json says 'complete' last, so a directory that
 * does not say so was interrupted or failed, whatever else it holds. A trainer holds `train.lock`
 * while it writes.
 */
export class RunDir {
  private held = false;
  private readonly releaseOnExit = () => this.release();

  constructor(readonly path: string) {}

  /** Refuses a run name that is not one plain directory name (it could write outside `--out`). */
  static checkName(parent: string, name: string): void {
    if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name) || basename(name) !== name) {
      throw new UsageError(`--name is '${name}' but expected a plain directory name (no '/', '\\' or '..'), so the run stays inside --out ${resolve(parent)}`);
    }
  }

  /** A new run directory `parent/name`; `name` must be one plain directory name. */
  static create(parent: string, name: string): RunDir {
    RunDir.checkName(parent, name);
    const root = resolve(parent);
    const path = join(root, name);
    // Creates --out as needed; undefined when `path` was already there (also when another trainer just made it).
    if (mkdirSync(path, { recursive: true }) === undefined) {
      throw new UsageError(`output directory ${path} already exists; choose another --name or use --resume ${path}`);
    }
    mkdirSync(join(path, 'checkpoints'));
    return new RunDir(path);
  }

  static open(path: string): RunDir {
    const dir = new RunDir(resolve(path));
    if (!existsSync(dir.file('config.json'))) {
      throw new UsageError(`${dir.path} is not a stridenet run directory (no config.json)`);
    }
    return dir;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  get latestCheckpoint(): string {
    return this.file('checkpoints/latest.safetensors');
  }

  get bestCheckpoint(): string {
    return this.file('checkpoints/best.safetensors');
  }

  get weights(): string {
    return this.file('weights.safetensors');
  }

  get lockFile(): string {
    return this.file('train.lock');
  }

  /**
   * Takes the directory for this process: `train.lock` (pid, host, time) is created exclusively
   * (hard link of a complete temporary file, so the lock is never seen half-written). A lock left
   * by a dead process on this host is taken over; a live one is a usage error naming its pid.
   * Released by `release()` or when the process exits.
   */
  lock(): void {
    const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    const tmp = this.file(`.train.lock.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(info)}\n`);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          linkSync(tmp, this.lockFile);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
        }
        const other = this.lockHolder();
        if (other && (other.host !== info.host || isAlive(other.pid))) {
          throw new UsageError(
            `${this.path} is in use by another trainer (pid ${other.pid} on ${other.host} since ${other.startedAt}); wait for it to finish or stop it. If no trainer is running there, remove ${this.lockFile}`,
          );
        }
        // The holder died without releasing (kill -9, power loss): take over.
        unlinkSync(this.lockFile);
      }
    } finally {
      unlinkSync(tmp);
    }
    this.held = true;
    process.once('exit', this.releaseOnExit);
  }

  private lockHolder(): LockInfo | null {
    try {
      const v = JSON.parse(readFileSync(this.lockFile, 'utf8')) as LockInfo;
      return Number.isSafeInteger(v.pid) && typeof v.host === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  /** Gives up the lock (only if this process holds it). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.releaseOnExit);
    if (this.lockHolder()?.pid === process.pid) unlinkSync(this.lockFile);
  }

  /** Removes temporary files a killed save left behind (call while holding the lock); returns their names. */
  removeStaleTemps(): string[] {
    const removed: string[] = [];
    for (const sub of ['', 'checkpoints']) {
      const dir = this.file(sub);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (!TEMP_FILE.test(name)) continue;
        const locking = /^\.train\.lock\.(\d+)\.tmp$/.exec(name);
        if (locking && isAlive(Number(locking[1]))) continue; // another trainer is asking for the lock right now
        unlinkSync(join(dir, name));
        removed.push(join(sub, name));
      }
    }
    return removed;
  }

  async writeJSON(name: string, value: unknown): Promise<void> {
    await writeFileAtomic(this.file(name), new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
  }

  readJSON<T>(name: string): T {
    const f = this.file(name);
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as T;
    } catch (e) {
      throw new UsageError(`${f}: cannot read (${(e as Error).message.split('\n')[0]})`);
    }
  }

  async setStatus(status: Omit<RunStatus, 'updatedAt'>): Promise<void> {
    await this.writeJSON('status.json', { ...status, updatedAt: new Date().toISOString() });
  }

  /** For signal handlers that exit right after: write + rename, no fsync. */
  setStatusSync(status: Omit<RunStatus, 'updatedAt'>): void {
    const tmp = this.file(`.status.json.${process.pid}.sync.tmp`);
    writeFileSync(tmp, `${JSON.stringify({ ...status, updatedAt: new Date().toISOString() }, null, 2)}\n`);
    renameSync(tmp, this.file('status.json'));
  }

  status(): RunStatus | undefined {
    return existsSync(this.file('status.json')) ? this.readJSON<RunStatus>('status.json') : undefined;
  }

  appendMetrics(record: Record<string, unknown>): void {
    appendFileSync(this.file('metrics.jsonl'), `${JSON.stringify(record)}\n`);
  }

  metrics(): Record<string, unknown>[] {
    if (!existsSync(this.file('metrics.jsonl'))) return [];
    return readFileSync(this.file('metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return []; // a line torn by a crash mid-append
        }
      });
  }

  /**
   * Makes metrics.jsonl agree with a checkpoint taken after `step` optimizer steps: epoch lines
   * written after it (a crash between appending and saving the checkpoint) and repeated epochs are
   * dropped, so the resumed run appends each epoch once. Returns how many lines were dropped.
   */
  async truncateMetrics(step: number): Promise<number> {
    const all = this.metrics();
    const seen = new Set<unknown>();
    const kept = all.filter((m) => {
      if (typeof m.step !== 'number' || m.step > step || seen.has(m.epoch)) return false;
      seen.add(m.epoch);
      return true;
    });
    const raw = existsSync(this.file('metrics.jsonl')) ? readFileSync(this.file('metrics.jsonl'), 'utf8') : '';
    const text = kept.map((m) => `${JSON.stringify(m)}\n`).join('');
    if (text !== raw) await writeFileAtomic(this.file('metrics.jsonl'), new TextEncoder().encode(text));
    return raw.split('\n').filter(Boolean).length - kept.length;
  }
}
