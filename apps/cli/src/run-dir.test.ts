import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunDir } from './run-dir.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-rundir-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const line = (epoch: number, step: number) => JSON.stringify({ epoch, step, trainLoss: 1 / epoch });

describe('RunDir', () => {
  it('keeps run names inside --out', () => {
    for (const bad of ['../x', 'a/b', '..', '.', '', 'a\\b', '/tmp/x']) {
      expect(() => RunDir.create(work, bad), bad).toThrow(/--name is '.*' but expected a plain directory name/);
    }
    expect(existsSync(join(work, '..', 'x'))).toBe(false);
    expect(RunDir.create(work, 'ok-name.1').path).toBe(join(work, 'ok-name.1'));
    expect(() => RunDir.create(work, 'ok-name.1')).toThrow(/already exists/);
  });

  it('truncates metrics.jsonl to a checkpoint: later, repeated and torn lines go', async () => {
    const dir = RunDir.create(work, 'metrics');
    const f = dir.file('metrics.jsonl');
    writeFileSync(f, [line(1, 3), line(2, 6), line(2, 6), line(3, 9), '{"epoch":4,"st'].join('\n'));
    expect(dir.metrics().map((m) => m.epoch)).toEqual([1, 2, 2, 3]);
    expect(await dir.truncateMetrics(7)).toBe(3);
    expect(readFileSync(f, 'utf8')).toBe(`${line(1, 3)}\n${line(2, 6)}\n`);
    expect(await dir.truncateMetrics(7)).toBe(0);
    expect(await dir.truncateMetrics(0)).toBe(2);
    expect(readFileSync(f, 'utf8')).toBe('');
  });

  it('locks exclusively, names the holder, and takes over a dead holder', () => {
    const dir = RunDir.create(work, 'locked');
    dir.lock();
    const holder = JSON.parse(readFileSync(dir.lockFile, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    const second = new RunDir(dir.path);
    expect(() => second.lock()).toThrow(new RegExp(`in use by another trainer \\(pid ${process.pid} on `));
    dir.release();
    expect(existsSync(dir.lockFile)).toBe(false);
    // A lock left by a process that no longer exists.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(dir.lockFile, JSON.stringify({ pid: dead, host: hostname(), startedAt: 'earlier' }));
    second.lock();
    expect(JSON.parse(readFileSync(dir.lockFile, 'utf8')).pid).toBe(process.pid);
    second.release();
    expect(existsSync(dir.lockFile)).toBe(false);
  });

  it('removes temporary files of killed saves', () => {
    const dir = RunDir.create(work, 'temps');
    const stale = [join('checkpoints', '.latest.safetensors.4242.0123456789ab.tmp'), '.status.json.4242.0123456789ab.tmp'];
    for (const s of stale) writeFileSync(dir.file(s), 'partial');
    writeFileSync(dir.file('notes.tmp'), 'kept: not a temporary file of ours');
    expect(dir.removeStaleTemps().sort()).toEqual([...stale].sort());
    for (const s of stale) expect(existsSync(dir.file(s))).toBe(false);
    expect(existsSync(dir.file('notes.tmp'))).toBe(true);
  });
});
