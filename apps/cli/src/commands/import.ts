import { basename, resolve } from 'node:path';
import { setBackend } from '@stridenet/core';
import { saveWeightsFile, writeFileAtomic } from '@stridenet/core/node';
import { resolveBackend } from '../backends.js';
import { EXIT, UsageError } from '../errors.js';
import { readOnnxFile } from '../onnx.js';
import { RunDir } from '../run-dir.js';
import { ONNX_FIX, readPredictionMetadata } from '../trained.js';

export interface ImportFlags {
  out?: string;
  name?: string;
  classes?: string;
  mean?: string;
  std?: string;
  dataset?: string;
}

/** Comma-separated numbers; one value stands for every channel. */
function numbers(flag: string, v: string, channels: number): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isFinite(x)) || (xs.length !== 1 && xs.length !== channels)) {
    throw new UsageError(`${flag} is '${v}' but expected 1 or ${channels} comma-separated numbers (one per input channel)`);
  }
  return xs.length === 1 ? new Array<number>(channels).fill(xs[0]!) : xs;
}

/**
 * `stridenet import <model.onnx> --out <dir>`: a run directory (config.json, model.json,
 * weights.safetensors) that eval and predict use like a trained one. Normalization and class names
 * come from the file's metadata_props 'run' (written by `stridenet export`), flags override them;
 * when neither has them, the error names what is missing and nothing is written.
 */
export async function importCommand(file: string, flags: ImportFlags): Promise<number> {
  if (flags.out === undefined) throw new UsageError('import needs --out <dir>, the parent directory of the new run directory');
  if (!/\.onnx$/i.test(file)) throw new UsageError(`'${file}' is not an .onnx file`);
  const name = flags.name ?? basename(file).replace(/\.onnx$/i, '');
  RunDir.checkName(flags.out, name);
  const { backend } = await resolveBackend('cpu-js', '', { threads: 1 });
  await setBackend(backend);
  const { model, metadata } = await readOnnxFile(file, name);
  try {
    let run: Record<string, unknown> = {};
    try {
      if (metadata.run !== undefined) run = JSON.parse(metadata.run) as Record<string, unknown>;
    } catch {
      // readPredictionMetadata reports the invalid JSON when no flag replaces it.
    }
    const channels = model.inputShape[0]!;
    const stats = (run.normalization ?? {}) as { mean?: number[]; std?: number[] };
    if (flags.mean !== undefined || flags.std !== undefined) {
      run.normalization = {
        mean: flags.mean !== undefined ? numbers('--mean', flags.mean, channels) : stats.mean,
        std: flags.std !== undefined ? numbers('--std', flags.std, channels) : stats.std,
      };
    }
    if (flags.classes !== undefined) run.classNames = flags.classes.split(',').map((s) => s.trim());
    if (flags.dataset !== undefined) run.dataset = flags.dataset;
    const changed = flags.mean !== undefined || flags.std !== undefined || flags.classes !== undefined || flags.dataset !== undefined;
    const entry = changed ? JSON.stringify(run) : metadata.run;
    const meta = readPredictionMetadata(entry === undefined ? {} : { run: entry }, model, file, ONNX_FIX);
    const dir = RunDir.create(flags.out, name);
    const saved = { model: name, dataset: meta.dataset, normalization: meta.normalization, classNames: meta.classNames, inputShape: meta.inputShape };
    const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
    await writeFileAtomic(dir.file('config.json'), json({ imported: resolve(file), model: name, ...(meta.dataset ? { dataset: meta.dataset } : {}) }));
    await writeFileAtomic(dir.file('model.json'), json(model.toJSON()));
    await saveWeightsFile(dir.weights, model, { run: JSON.stringify(saved) });
    process.stdout.write(`${dir.path}: imported ${file} (input [${model.inputShape.join(',')}], ${meta.classNames.length} classes)\n`);
  } finally {
    model.dispose();
  }
  return EXIT.ok;
}
