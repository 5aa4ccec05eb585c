import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lenet5, setBackend } from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { decodeModel, exportOnnx } from '@stridenet/onnx';
import { EXIT } from './errors.js';
import { jsonLines, runCliIn, writeIdxDataset } from './cli.testutil.js';

// One small training run, exported to ONNX, read back by predict / eval / import (the built CLI, spawned).
let work: string;
let data: string;
let run: string;
let onnx: string;
const runCli = (args: string[]) => runCliIn(work, args);
type Prediction = { input: string; top: { class: number; name: string; probability: number }[] };
const predictions = (model: string) => {
  const r = runCli(['predict', model, join(data, 't10k-images-idx3-ubyte'), '--limit', '12', '--top-k', '3', '--backend', 'cpu-js', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(EXIT.ok);
  return jsonLines(r.stdout) as unknown as Prediction[];
};
const evaluation = (model: string) => {
  const r = runCli(['eval', model, '--backend', 'cpu-js', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(EXIT.ok);
  return JSON.parse(r.stdout.trim()) as { count: number; accuracy: number; loss: number };
};
const samePredictions = (a: Prediction[], b: Prediction[]) => {
  expect(b).toHaveLength(a.length);
  a.forEach((p, i) => {
    expect(b[i]!.top.map((t) => [t.class, t.name])).toEqual(p.top.map((t) => [t.class, t.name]));
    p.top.forEach((t, j) => expect(b[i]!.top[j]!.probability).toBeCloseTo(t.probability, 5));
  });
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stridenet-onnx-'));
  data = join(work, 'bars');
  writeIdxDataset(data, 300, 100);
  const r = runCli(['train', '--dataset', data, '--backend', 'cpu-js', '--epochs', '1', '--batch-size', '32', '--lr', '0.003', '--out', work, '--name', 'run', '--json']);
  expect(r.code, r.stderr).toBe(EXIT.ok);
  run = join(work, 'run');
  onnx = join(work, 'model.onnx');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('stridenet export / import and .onnx models', () => {
  it('exports a run to ONNX with its normalization and class names as metadata, atomically', () => {
    const r = runCli(['export', run, onnx, '--opset', '17', '--dynamic-batch']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("opset 17, batch dynamic ('batch')");
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const m = decodeModel(new Uint8Array(readFileSync(onnx)));
    expect(m.opset).toBe(17);
    expect(m.inputs[0]!.shape).toEqual(['batch', 1, 28, 28]);
    const meta = JSON.parse(m.metadata.run!) as { normalization: { mean: number[]; std: number[] }; classNames: string[]; inputShape: number[] };
    const trained = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { dataset: string };
    expect(meta).toMatchObject({ dataset: trained.dataset, inputShape: [1, 28, 28] });
    expect(meta.classNames).toHaveLength(10);
    expect(meta.normalization.mean).toHaveLength(1);
    // Without --dynamic-batch the batch is fixed to 1.
    const fixed = join(work, 'fixed.onnx');
    expect(runCli(['export', run, fixed]).code).toBe(EXIT.ok);
    expect(decodeModel(new Uint8Array(readFileSync(fixed))).inputs[0]!.shape).toEqual([1, 1, 28, 28]);
  });

  it('predict and eval on the .onnx give the same predictions and accuracy as on the run', () => {
    samePredictions(predictions(run), predictions(onnx));
    const a = evaluation(run);
    const b = evaluation(onnx);
    expect(b.count).toBe(100);
    expect(b.accuracy).toBe(a.accuracy);
    expect(b.loss).toBeCloseTo(a.loss, 5);
  });

  it('import writes a run directory that eval and predict use like the trained one', () => {
    const r = runCli(['import', onnx, '--out', work, '--name', 'imported']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const imported = join(work, 'imported');
    for (const f of ['config.json', 'model.json', 'weights.safetensors']) expect(existsSync(join(imported, f)), f).toBe(true);
    expect(evaluation(imported).accuracy).toBe(evaluation(run).accuracy);
    samePredictions(predictions(run), predictions(imported));
    // The run directory exports again.
    expect(runCli(['export', imported, join(work, 'again.onnx')]).code).toBe(EXIT.ok);
  });

  it('an .onnx without metadata: import names what is missing, and takes it from flags', async () => {
    await setBackend(await createCpuBackend());
    const model = lenet5({ seed: 3 });
    const bare = join(work, 'bare.onnx');
    writeFileSync(bare, await exportOnnx(model));
    model.dispose();
    const missing = runCli(['import', bare, '--out', work]);
    expect(missing.code).toBe(EXIT.runtime);
    expect(missing.stderr).toContain(`${bare}: lacks what predict and eval need in its 'run' metadata: normalization (per-channel mean and std); classNames.`);
    expect(missing.stderr).toContain('--classes a,b,c --mean m --std s');
    expect(existsSync(join(work, 'bare'))).toBe(false);
    expect(runCli(['predict', bare, join(data, 't10k-images-idx3-ubyte'), '--backend', 'cpu-js']).stderr).toContain("lacks what predict and eval need in its 'run' metadata");
    const badMean = runCli(['import', bare, '--out', work, '--classes', 'a,b,c,d,e,f,g,h,i,j', '--mean', 'x', '--std', '0.3']);
    expect(badMean.code).toBe(EXIT.usage);
    expect(badMean.stderr).toContain("--mean is 'x' but expected 1 or 1 comma-separated numbers");
    const fewNames = runCli(['import', bare, '--out', work, '--classes', 'a,b', '--mean', '0.1', '--std', '0.3']);
    expect(fewNames.code).toBe(EXIT.runtime);
    expect(fewNames.stderr).toContain('classNames as 10 strings, one per model output (found ["a","b"])');
    const ok = runCli(['import', bare, '--out', work, '--classes', 'a,b,c,d,e,f,g,h,i,j', '--mean', '0.1', '--std', '0.3']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(EXIT.ok);
    const p = predictions(join(work, 'bare'));
    expect(p).toHaveLength(12);
    expect('abcdefghij').toContain(p[0]!.top[0]!.name);
  });

  it('a truncated or non-ONNX .onnx file is a clear format error (exit 1), as for other model files', () => {
    const bytes = readFileSync(onnx);
    const truncated = join(work, 'truncated.onnx');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    for (const args of [['predict', truncated, join(data, 't10k-images-idx3-ubyte'), '--backend', 'cpu-js'], ['eval', truncated, '--backend', 'cpu-js'], ['export', truncated, join(work, 'x.onnx')], ['import', truncated, '--out', work]]) {
      const r = runCli(args);
      expect(r.code, args[0]).toBe(EXIT.runtime);
      expect(r.stderr).toMatch(new RegExp(`^stridenet: ${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a valid ONNX model: .* at byte \\d+\\n$`));
    }
    expect(existsSync(join(work, 'x.onnx'))).toBe(false);
    expect(existsSync(join(work, 'truncated'))).toBe(false);
  });

  it('export checks its flags and never overwrites its own input', () => {
    const bad = runCli(['export', run, join(work, 'y.onnx'), '--opset', '9']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("--opset is '9' but expected an integer from 11 to 21");
    const self = runCli(['export', onnx, onnx]);
    expect(self.code).toBe(EXIT.usage);
    expect(self.stderr).toContain('is the model being exported');
  });
});
