import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { bin, cwd, jsonLines, nodeArgs, runCliIn, writeIdxDataset } from './cli.testutil.js';

let work: string;
let data: string;
const runCli = (args: string[], env: Record<string, string> = {}) => runCliIn(work, args, env);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-cli-'));
  data = join(work, 'bars');
  writeIdxDataset(data, 600, 100);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('stridenet train / eval / predict', () => {
  it('trains to completion and writes a complete run directory with a report', async () => {
    const r = runCli(['train', '--dataset', data, '--backend', 'cpu-js', '--epochs', '2', '--batch-size', '32', '--lr', '0.003', '--out', work, '--name', 'full', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const epochs = lines.filter((l) => l.event === 'epoch');
    expect(epochs).toHaveLength(2);
    expect(epochs[1]!.loss as number).toBeLessThan(epochs[0]!.loss as number);
    const run = join(work, 'full');
    for (const f of ['config.json', 'metrics.jsonl', 'model.json', 'weights.safetensors', 'report.html', 'checkpoints/latest.safetensors', 'checkpoints/best.safetensors']) {
      expect(existsSync(join(run, f)), f).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')).state).toBe('complete');
    const test = JSON.parse(readFileSync(join(run, 'test.json'), 'utf8'));
    expect(test.accuracy).toBeGreaterThan(0.5);
  });

  it('evaluates and predicts with the trained run', () => {
    const run = join(work, 'full');
    const ev = runCli(['eval', run, '--backend', 'cpu-js', '--json']);
    expect(ev.code).toBe(0);
    const result = JSON.parse(ev.stdout.trim());
    expect(result.count).toBe(100);
    expect(result.accuracy).toBeGreaterThan(0.5);
    // A PNG of class 3's bar, and records of the IDX file.
    const png = new PNG({ width: 28, height: 28 });
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = y === 8 && x >= 4 && x < 24 ? 230 : 20;
        png.data.set([v, v, v, 255], (y * 28 + x) * 4);
      }
    const image = join(work, 'bar3.png');
    writeFileSync(image, PNG.sync.write(png));
    const pr = runCli(['predict', run, image, join(data, 't10k-images-idx3-ubyte'), '--limit', '4', '--top-k', '2', '--backend', 'cpu-js', '--json']);
    expect(pr.stderr).toBe('');
    expect(pr.code).toBe(0);
    const preds = jsonLines(pr.stdout) as { input: string; top: { class: number; probability: number }[] }[];
    expect(preds).toHaveLength(5);
    for (const p of preds) {
      expect(p.top).toHaveLength(2);
      expect(p.top[0]!.probability).toBeGreaterThanOrEqual(p.top[1]!.probability);
    }
    expect(preds[0]!.top[0]!.class).toBe(3);
  });

  it('--compile trains as eager does (a batch-norm model, running statistics and all) and is kept in config.json', () => {
    const evals: { loss: number; accuracy: number }[] = [];
    for (const [name, extra] of [['eager-ccpccp', []], ['compiled-ccpccp', ['--compile']]] as const) {
      const r = runCli(['train', '--dataset', data, '--model', 'ccpccp', '--backend', 'cpu-js', '--batch-size', '8', '--max-steps', '3', '--out', work, '--name', name, '--json', ...extra]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(readFileSync(join(work, name, 'config.json'), 'utf8')).compile).toBe(extra.length > 0 ? true : undefined);
      const ev = runCli(['eval', join(work, name, 'checkpoints/latest.safetensors'), '--dataset', data, '--backend', 'cpu-js', '--json']);
      expect(ev.code).toBe(0);
      evals.push(JSON.parse(ev.stdout.trim()));
    }
    expect(evals[1]!.accuracy).toBe(evals[0]!.accuracy);
    expect(Math.abs(evals[1]!.loss - evals[0]!.loss) / evals[0]!.loss).toBeLessThan(1e-5);
    writeFileSync(join(work, 'compile.json'), '{ "compile": "yes" }');
    const bad = runCli(['train', '--dataset', data, '--config', join(work, 'compile.json'), '--out', work]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--compile is 'yes' but expected true or false/);
  });

  it('stops at --max-steps resumably and resumes to completion', () => {
    const first = runCli(['train', '--dataset', data, '--backend', 'cpu-js', '--epochs', '1', '--batch-size', '32', '--max-steps', '5', '--out', work, '--name', 'resumed', '--json']);
    expect(first.code).toBe(0);
    const run = join(work, 'resumed');
    const status = JSON.parse(readFileSync(join(run, 'status.json'), 'utf8'));
    expect(status.state).toBe('interrupted');
    expect(status.step).toBe(5);
    expect(existsSync(join(run, 'weights.safetensors'))).toBe(false);
    const second = runCli(['train', '--resume', run, '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')).state).toBe('complete');
    expect(existsSync(join(run, 'report.html'))).toBe(true);
  });

  it('writes a checkpoint on SIGINT, exits 130, and resumes from it', async () => {
    // Enough epochs that the run is still going when the signal arrives.
    const child: ChildProcess = spawn(
      process.execPath,
      [...nodeArgs, bin, 'train', '--dataset', data, '--backend', 'cpu-js', '--epochs', '50', '--batch-size', '8', '--out', work, '--name', 'sigint', '--json'],
      { cwd, env: { ...process.env, STRIDENET_RECOMMENDATION: join(work, 'none.json') } },
    );
    let out = '';
    const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no batch progress in time: ${out}`)), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"event":"batch"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    const run = join(work, 'sigint');
    expect(existsSync(join(run, 'checkpoints/latest.safetensors'))).toBe(true);
    const status = JSON.parse(readFileSync(join(run, 'status.json'), 'utf8'));
    expect(status.state).toBe('interrupted');
    expect(existsSync(join(run, 'weights.safetensors'))).toBe(false);
    expect(existsSync(join(run, 'report.html'))).toBe(false);
    const resumed = runCli(['train', '--resume', run, '--epochs', String(status.epoch + 1), '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')).state).toBe('complete');
  });
});

describe('bad input', () => {
  it('lists valid names for an unknown model, dataset or backend (usage error, exit 2)', () => {
    const model = runCli(['train', '--model', 'lenet6']);
    expect(model.code).toBe(2);
    expect(model.stderr).toContain("unknown model 'lenet6'");
    expect(model.stderr).toContain('lenet5');
    const dataset = runCli(['train', '--dataset', 'fashion-mnst']);
    expect(dataset.code).toBe(2);
    expect(dataset.stderr).toContain("unknown dataset 'fashion-mnst'");
    expect(dataset.stderr).toContain('fashion-mnist');
    const backend = runCli(['train', '--backend', 'cuda']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toContain('cuda');
    expect(backend.stderr).toContain('cpu-js');
    const flag = runCli(['train', '--epoch', '3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--epochs');
  });

  it('says where it looked for missing data and how to get it (runtime error, exit 1)', () => {
    const r = runCli(['train', '--dataset', 'fashion-mnist', '--data-dir', join(work, 'nowhere'), '--backend', 'cpu-js']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(work, 'nowhere'));
    expect(r.stderr).toContain('dataset-fashion-mnist');
  });

  it('names a corrupt data file and the problem', () => {
    const bad = join(work, 'corrupt');
    writeIdxDataset(bad, 20, 10);
    truncateSync(join(bad, 'train-images-idx3-ubyte'), 1000);
    const r = runCli(['train', '--dataset', bad, '--backend', 'cpu-js']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('train-images-idx3-ubyte');
    expect(r.stderr).toMatch(/truncated|bytes/);
  });

  it('names a corrupt checkpoint on resume and leaves it in place', () => {
    const first = runCli(['train', '--dataset', data, '--backend', 'cpu-js', '--epochs', '1', '--max-steps', '2', '--out', work, '--name', 'corrupt-ckpt', '--json']);
    expect(first.code).toBe(0);
    const ckpt = join(work, 'corrupt-ckpt', 'checkpoints', 'latest.safetensors');
    truncateSync(ckpt, 100);
    const r = runCli(['train', '--resume', join(work, 'corrupt-ckpt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(ckpt);
  });

  it('gives both shapes when the model input does not match the data', () => {
    const r = runCli(['train', '--model', 'allCnnC', '--dataset', data, '--backend', 'cpu-js']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[3,32,32]');
    expect(r.stderr).toContain('[1,28,28]');
  });

  it('says why a backend cannot run here and which can', () => {
    // Whether or not the addon is built here, pointing the loader at a missing binary makes native unusable.
    const r = runCli(['train', '--dataset', data, '--backend', 'native', '--max-steps', '1'], { STRIDENET_NATIVE_ADDON: join(work, 'missing.node') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("backend 'native' cannot run here");
    expect(r.stderr).toContain('cpu-js');
  });
});

describe('the report', () => {
  it('renders in headless Chromium with its charts and image grid', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(`file://${join(work, 'full', 'report.html')}`);
      const charts = await page.$$eval('svg', (svgs) => svgs.map((s) => s.getBoundingClientRect().width * s.getBoundingClientRect().height));
      expect(charts.length).toBeGreaterThanOrEqual(3);
      expect(charts.every((a) => a > 10_000)).toBe(true);
      const images = await page.$$eval('figure img', (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
      expect(images.every((w) => w > 0)).toBe(true);
      const shot = join(work, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).length).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
    }
  });
});
