/**
 * Turns a finished `stridenet train` run into the package's weights (run by
 * tools/weights/train-pretrained.sh, which records the training command):
 *
 *   pack.ts candidates <model> <runDir>
 *     writes <runDir>/pretrained-F32.safetensors and pretrained-F16.safetensors (same tensors, names and
 *     'run' metadata as the run's weights.safetensors, so `stridenet eval` reads them as they are), after
 *     checking that the run trained the zoo's default architecture for <model>;
 *   pack.ts select <model> <runDir> <epochs> <seed> <command...>
 *     reads <runDir>/eval-F32.json and eval-F16.json (`stridenet eval --json` of each candidate), keeps
 *     F16 unless it scores more than MAX_F16_DROP below F32, copies the kept file to
 *     weights/<model>-<dataset>.safetensors and records it (SHA-256, size, both accuracies, recipe) in
 *     weights/manifest.json.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Float16Array } from '@petamoriken/float16';
import { createModel, decodeSafetensors, encodeSafetensors, entryToFloat32, type SafetensorsInput } from '@stridenet/core';
import type { Manifest, ManifestEntry } from '../src/types.js';

/** Largest F16 accuracy loss (fraction of the test set) that still ships F16: 5 of 10,000 images. */
const MAX_F16_DROP = 0.0005;

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifestFile = join(pkg, 'weights', 'manifest.json');

function fail(message: string): never {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(2);
}

function readRunWeights(runDir: string) {
  const file = join(runDir, 'weights.safetensors');
  const st = decodeSafetensors(new Uint8Array(readFileSync(file)), file);
  const run = JSON.parse(st.metadata.run ?? fail(`${file} has no 'run' metadata`)) as ManifestEntry['run'] & { model: string; dataset: string };
  return { file, st, run };
}

function candidates(model: string, runDir: string): void {
  const { file, st, run } = readRunWeights(runDir);
  if (run.model !== model) fail(`${file} holds a '${run.model}', not a '${model}'`);
  // The package rebuilds the model with createModel(model): the run must have trained exactly that.
  const zoo = JSON.stringify(createModel(model).toJSON());
  if (st.metadata.architecture !== zoo) fail(`${file}'s architecture is not createModel('${model}')'s default:\n${st.metadata.architecture}\n${zoo}`);
  const tensors = [...st.tensors.values()].map((e) => ({ name: e.name, shape: e.shape, values: entryToFloat32(e, file) }));
  const f32: SafetensorsInput[] = tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.values }));
  // Float16Array rounds to nearest even; its buffer holds the IEEE half bits safetensors stores.
  const f16: SafetensorsInput[] = tensors.map((t) => ({ name: t.name, shape: t.shape, data: new Uint16Array(Float16Array.from(t.values).buffer), dtype: 'F16' }));
  for (const [dtype, list] of [['F32', f32], ['F16', f16]] as const) {
    const out = join(runDir, `pretrained-${dtype}.safetensors`);
    writeFileSync(out, encodeSafetensors(list, st.metadata));
    process.stdout.write(`pack: wrote ${out}\n`);
  }
}

function select(model: string, runDir: string, epochs: number, seed: number, command: string): void {
  const { run } = readRunWeights(runDir);
  const accuracy = (dtype: string) => {
    const ev = JSON.parse(readFileSync(join(runDir, `eval-${dtype}.json`), 'utf8')) as { accuracy: number; count: number; split: string };
    if (ev.split !== 'test' || ev.count !== 10_000) fail(`eval-${dtype}.json is on ${ev.count} ${ev.split} images, expected the 10,000 test images`);
    return ev.accuracy;
  };
  const accuracyF32 = accuracy('F32');
  const accuracyF16 = accuracy('F16');
  const dtype = accuracyF32 - accuracyF16 > MAX_F16_DROP ? 'F32' : 'F16';
  const id = `${model}-${run.dataset}`;
  const target = join(pkg, 'weights', `${id}.safetensors`);
  copyFileSync(join(runDir, `pretrained-${dtype}.safetensors`), target);
  const bytes = readFileSync(target);
  const entry: ManifestEntry = {
    model,
    dataset: run.dataset,
    file: `${id}.safetensors`,
    dtype,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    parameters: createModel(model).countParams().total,
    accuracy: dtype === 'F16' ? accuracyF16 : accuracyF32,
    accuracyF32,
    accuracyF16,
    testImages: 10_000,
    epochs,
    seed,
    command,
    run: { normalization: run.normalization, classNames: run.classNames, inputShape: run.inputShape },
  };
  let manifest: Manifest = { models: [] };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch {
    // First model packed.
  }
  manifest.models = [...manifest.models.filter((m) => !(m.model === model && m.dataset === run.dataset)), entry].sort((a, b) => a.file.localeCompare(b.file));
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`pack: ${id}: F32 ${(accuracyF32 * 100).toFixed(2)}%, F16 ${(accuracyF16 * 100).toFixed(2)}% -> ${dtype}, ${bytes.length} bytes\n`);
}

const [cmd, model, runDir, ...rest] = process.argv.slice(2);
if (cmd === 'candidates' && model && runDir) candidates(model, runDir);
else if (cmd === 'select' && model && runDir && rest.length >= 3) select(model, runDir, Number(rest[0]), Number(rest[1]), rest.slice(2).join(' '));
else fail('usage: pack.ts candidates <model> <runDir> | pack.ts select <model> <runDir> <epochs> <seed> <command...>');
