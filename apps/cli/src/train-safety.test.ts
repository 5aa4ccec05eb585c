// What a training run leaves on disk when it diverges, crashes, is resumed, is interrupted late or
// meets another trainer. The CLI is spawned as a user runs it; data and runs are tiny (LeNet-5 on
// 48 images, batches of 16: 3 steps per epoch after the 10% validation split).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, entryToFloat32 } from '@stridenet/core';
import { jsonLines, readJSON, runCliIn, spawnCliIn, writeIdxDataset } from './cli.testutil.js';
import type { RunStatus } from './run-dir.js';

let work: string;
let data: string;
const runCli = (args: string[]) => runCliIn(work, args);
const train = (name: string, ...args: string[]) =>
  runCli(['train', '--dataset', data, '--backend', 'cpu-js', '--batch-size', '16', '--out', work, '--name', name, '--json', ...args]);
const resume = (name: string, ...args: string[]) => runCli(['train', '--resume', join(work, name), '--json', ...args]);
const status = (name: string) => readJSON<RunStatus>(join(work, name, 'status.json'));
const ckpt = (name: string, which: 'latest' | 'best') => join(work, name, 'checkpoints', `${which}.safetensors`);
const editConfig = (name: string, change: Record<string, unknown>) => {
  const f = join(work, name, 'config.json');
  writeFileSync(f, JSON.stringify({ ...readJSON(f), ...change }));
};

/** Rewrites a checkpoint through `change` (tensors by name, metadata). */
function rewrite(file: string, change: (tensors: Map<string, Float32Array>, metadata: Record<string, string>) => void): void {
  const st = decodeSafetensors(new Uint8Array(readFileSync(file)), file);
  const tensors = new Map([...st.tensors].map(([n, e]) => [n, Float32Array.from(entryToFloat32(e, file))]));
  const metadata = { ...st.metadata };
  change(tensors, metadata);
  writeFileSync(file, encodeSafetensors([...tensors].map(([name, d]) => ({ name, shape: st.tensors.get(name)!.shape, data: d })), metadata));
}

function allFinite(file: string): boolean {
  const st = decodeSafetensors(new Uint8Array(readFileSync(file)), file);
  return [...st.tensors.values()].every((e) => entryToFloat32(e, file).every((v) => Number.isFinite(v)));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-train-safety-'));
  data = join(work, 'bars');
  writeIdxDataset(data, 48, 16);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('divergence', () => {
  it.each([
    ['sgd', '0.05', 1e39],
    ['adam', '0.002', 1e6],
  ])('a blown-up resume (%s, lr %s -> %s) fails as diverged and leaves latest and best unchanged and finite', (optimizer, lr, hugeLr) => {
    const name = `div-${optimizer}`;
    expect(train(name, '--epochs', '3', '--max-steps', '4', '--optimizer', optimizer, '--lr', lr).code).toBe(0);
    const before = { latest: readFileSync(ckpt(name, 'latest')), best: readFileSync(ckpt(name, 'best')) };
    editConfig(name, { lr: hugeLr });
    const r = resume(name, '--epochs', '3');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('training diverged');
    expect(r.stderr).toContain(`Last good checkpoint: ${ckpt(name, 'latest')} (epoch 2, batch 1, step 4)`);
    expect(status(name)).toMatchObject({ state: 'failed', reason: 'diverged' });
    expect(readFileSync(ckpt(name, 'latest')).equals(before.latest)).toBe(true);
    expect(readFileSync(ckpt(name, 'best')).equals(before.best)).toBe(true);
    expect(allFinite(ckpt(name, 'latest')) && allFinite(ckpt(name, 'best'))).toBe(true);
    expect(existsSync(join(work, name, 'weights.safetensors'))).toBe(false);
  });

  it('a run that diverges before its first epoch ends writes no checkpoint and says so', () => {
    const r = train('div-fresh', '--epochs', '2', '--optimizer', 'sgd', '--lr', '1e39');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/training diverged in epoch 1 after \d steps: .*No checkpoint was written before that/);
    expect(status('div-fresh')).toMatchObject({ state: 'failed', reason: 'diverged' });
    expect(existsSync(ckpt('div-fresh', 'latest'))).toBe(false);
    expect(existsSync(ckpt('div-fresh', 'best'))).toBe(false);
  });

  it('refuses to resume a checkpoint holding NaN, naming the file', () => {
    expect(train('nan', '--epochs', '2', '--max-steps', '1').code).toBe(0);
    rewrite(ckpt('nan', 'latest'), (tensors) => void (tensors.get('conv1.weight')![3] = NaN));
    const r = resume('nan');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(ckpt('nan', 'latest'));
    expect(r.stderr).toMatch(/NaN or infinite|non-finite/);
    expect(status('nan').state).toBe('interrupted');
  });
});

describe('resume', () => {
  it('keeps best-metric tracking: best.safetensors is replaced only by a better epoch', () => {
    expect(train('best', '--epochs', '3', '--max-steps', '4', '--optimizer', 'sgd', '--lr', '0.05').code).toBe(0);
    // Make the recorded best unbeatable: a resumed run that forgot it would overwrite best.
    rewrite(ckpt('best', 'latest'), (_, md) => {
      md.run = JSON.stringify({ ...JSON.parse(md.run!), best: { metric: 2, epoch: 1 } });
    });
    const best = readFileSync(ckpt('best', 'best'));
    const latest = readFileSync(ckpt('best', 'latest'));
    expect(resume('best', '--max-steps', '7').code).toBe(0);
    expect(status('best')).toMatchObject({ state: 'interrupted', step: 7 });
    expect(readFileSync(ckpt('best', 'latest')).equals(latest)).toBe(false);
    expect(readFileSync(ckpt('best', 'best')).equals(best)).toBe(true);
    const md = decodeSafetensors(new Uint8Array(readFileSync(ckpt('best', 'latest')))).metadata;
    expect(JSON.parse(md.run!).best).toEqual({ metric: 2, epoch: 1 });
  });

  it('writes each epoch once to metrics.jsonl after a crash between append and checkpoint, and clears stale temp files', () => {
    expect(train('crash', '--epochs', '2', '--max-steps', '4').code).toBe(0);
    const run = join(work, 'crash');
    // What a kill -9 after appending epoch 2 (step 6) but before its checkpoint leaves, plus a torn line and a temp file.
    appendFileSync(join(run, 'metrics.jsonl'), `${JSON.stringify({ epoch: 2, step: 6, trainLoss: 1 })}\n{"epoch":3,"tr`);
    const stale = join(run, 'checkpoints', '.latest.safetensors.4242.0123456789ab.tmp');
    writeFileSync(stale, new Uint8Array(1000));
    const r = resume('crash');
    expect(r.code).toBe(0);
    expect(status('crash').state).toBe('complete');
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.epoch, l.step])).toEqual([
      [1, 3],
      [2, 6],
    ]);
    expect(lines[1].trainLoss).not.toBe(1);
    expect(existsSync(stale)).toBe(false);
  });
});

describe('run directory', () => {
  it('a second trainer on a locked run directory gets a clear error; a dead holder is taken over', async () => {
    const { child, exit, waitFor } = spawnCliIn(work, ['train', '--dataset', data, '--backend', 'cpu-js', '--epochs', '500', '--batch-size', '4', '--out', work, '--name', 'locked', '--json']);
    await waitFor((out) => out.includes('"event":"batch"'));
    const second = resume('locked', '--max-steps', '1');
    child.kill('SIGINT');
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${join(work, 'locked')} is in use by another trainer (pid ${child.pid} on ${hostname()}`);
    expect(await exit).toBe(130);
    const lock = join(work, 'locked', 'train.lock');
    expect(existsSync(lock)).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), startedAt: 'earlier' }));
    const third = resume('locked', '--max-steps', '1');
    expect(third.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it('--name cannot leave --out (usage error, nothing written)', () => {
    for (const name of ['../escaped', 'a/b']) {
      const r = runCli(['train', '--dataset', data, '--backend', 'cpu-js', '--out', join(work, 'out'), '--name', name]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--name is '${name}' but expected a plain directory name`);
    }
    expect(existsSync(join(work, 'escaped'))).toBe(false);
    expect(existsSync(join(work, 'out'))).toBe(false);
  });

  it('a failure after training leaves status failed with the reason and where it stood', () => {
    expect(train('late', '--epochs', '1', '--max-steps', '1').code).toBe(0);
    mkdirSync(join(work, 'late', 'report.html'));
    const r = resume('late');
    expect(r.code).toBe(74); // a file-system error (report.html is a directory)
    expect(r.stderr).toContain('report.html');
    expect(status('late')).toMatchObject({ state: 'failed', reason: 'error', epoch: 1, step: 3 });
    expect(status('late').message).toContain('report.html');
  });

  it('SIGINT during the final evaluation leaves status interrupted; resuming finishes the run', async () => {
    const evalData = join(work, 'bars-big-test');
    writeIdxDataset(evalData, 48, 3000);
    const { child, exit, waitFor } = spawnCliIn(work, ['train', '--dataset', evalData, '--backend', 'cpu-js', '--epochs', '1', '--batch-size', '16', '--out', work, '--name', 'late-sigint', '--json']);
    await waitFor((out) => jsonLines(out).some((l) => String(l.text ?? '').startsWith('evaluating on')));
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(status('late-sigint')).toMatchObject({ state: 'interrupted', epoch: 1, step: 3 });
    expect(status('late-sigint').message).toContain('final evaluation');
    expect(status('late-sigint').trainingDone).toBe('completed');
    expect(existsSync(join(work, 'late-sigint', 'train.lock'))).toBe(false);
    const r = resume('late-sigint');
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).filter((l) => l.event === 'batch')).toEqual([]); // training is not run again
    expect(status('late-sigint').state).toBe('complete');
  });
});
