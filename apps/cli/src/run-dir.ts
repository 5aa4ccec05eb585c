import { existsSync, mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@stridenet/core/node';
import { UsageError } from './errors.js';

export type RunState = 'running' | 'interrupted' | 'failed' | 'complete';

export interface RunStatus {
  state: RunState;
  epoch: number;
  step: number;
  updatedAt: string;
  message?: string;
}

/**
 * A training run's directory. Files: config.json, status.json, metrics.jsonl, model.json,
 * checkpoints/latest.safetensors and best.safetensors, and — only once the run completed —
 * weights.safetensors and report.html. status.json says 'complete' last, so a directory that
 * does not say so was interrupted or failed, whatever else it holds.
 */
export class RunDir {
  constructor(readonly path: string) {}

  static create(parent: string, name: string): RunDir {
    const path = resolve(parent, name);
    if (existsSync(path)) throw new UsageError(`output directory ${path} already exists; choose another --name or use --resume ${path}`);
    mkdirSync(join(path, 'checkpoints'), { recursive: true });
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
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
