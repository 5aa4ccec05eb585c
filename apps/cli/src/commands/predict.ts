import { statSync } from 'node:fs';
import { predict, setBackend } from '@stridenet/core';
import { normalizeChannels, parseCifarRecords, readCifarFile, readIdxImages, readImage, type ImageShape } from '@stridenet/datasets';
import { resolveBackend } from '../backends.js';
import { parsePositiveInt, parseThreads } from '../config.js';
import { EXIT, UsageError } from '../errors.js';
import { compileForInference, loadTrained } from '../trained.js';

export interface PredictFlags {
  topK?: string;
  backend?: string;
  threads?: string;
  limit?: string;
  format?: 'image' | 'idx' | 'cifar10' | 'cifar100';
  allowNonFinite?: boolean;
  json?: boolean;
}

/** Checks an input path before anything reads it: it must exist and be a regular file. */
function checkInputFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`input '${file}' does not exist`);
  }
  if (st.isDirectory()) throw new UsageError(`input '${file}' is a directory; give image files (PNG/JPEG) or an IDX/CIFAR file`);
  // Devices and pipes (/dev/zero, /dev/stdin) never end: refused rather than read forever.
  if (!st.isFile()) throw new UsageError(`input '${file}' is not a regular file (a device, pipe or socket?); give image files or an IDX/CIFAR file`);
}

interface Input {
  label: string;
  pixels: Float32Array;
}

/**
 * Image files (PNG/JPEG) or records of an IDX / CIFAR file (already checked by checkInputFile), as
 * floats in [0, 1] of the model's shape.
 */
function readInputs(files: readonly string[], shape: ImageShape, flags: PredictFlags, limit: number): Input[] {
  const [c, h, w] = shape;
  const out: Input[] = [];
  for (const file of files) {
    const kind = flags.format ?? (/\.(png|jpe?g)$/i.test(file) ? 'image' : /idx3|ubyte/i.test(file) ? 'idx' : /\.bin$/i.test(file) ? 'cifar10' : 'image');
    if (kind === 'image') {
      const img = readImage(file);
      if (img.height !== h || img.width !== w) {
        throw new UsageError(`${file} is ${img.height}x${img.width} but the model expects ${h}x${w} images (shape [${shape.join(',')}])`);
      }
      const px = new Float32Array(c * h * w);
      for (let i = 0; i < h * w; i++) {
        const [r, g, b] = [img.rgba[i * 4]!, img.rgba[i * 4 + 1]!, img.rgba[i * 4 + 2]!];
        if (c === 1) px[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
        else for (let k = 0; k < 3; k++) px[k * h * w + i] = [r, g, b][k]! / 255;
      }
      out.push({ label: file, pixels: px });
      continue;
    }
    let images: Uint8Array;
    let count: number;
    if (kind === 'idx') {
      const idx = readIdxImages(file);
      if (c !== 1 || idx.height !== h || idx.width !== w) {
        throw new UsageError(`${file} holds 1x${idx.height}x${idx.width} images but the model expects [${shape.join(',')}]`);
      }
      images = idx.images;
      count = idx.count;
    } else {
      const bytes = readCifarFile(file, kind === 'cifar100' ? 2 : 1);
      const ds = parseCifarRecords(bytes, file, kind === 'cifar100' ? { labelBytes: 2, labelIndex: 1, numClasses: 100 } : { labelBytes: 1, labelIndex: 0, numClasses: 10 });
      if (ds.shape.some((d, i) => d !== shape[i])) throw new UsageError(`${file} holds [${ds.shape.join(',')}] images but the model expects [${shape.join(',')}]`);
      images = ds.images;
      count = ds.count;
    }
    for (let i = 0; i < Math.min(count, limit); i++) {
      out.push({ label: `${file}#${i}`, pixels: Float32Array.from(images.subarray(i * c * h * w, (i + 1) * c * h * w), (v) => v / 255) });
    }
  }
  return out;
}

/** `stridenet predict <run|weights> <inputs...>`: top-k classes with probabilities. */
export async function predictCommand(target: string, inputs: string[], flags: PredictFlags): Promise<number> {
  if (inputs.length === 0) throw new UsageError('predict needs at least one input: image files (PNG/JPEG) or an IDX/CIFAR file');
  // Every flag and input path is checked before a backend starts or a model is read.
  const k = parsePositiveInt('--top-k', flags.topK, 3);
  const limit = parsePositiveInt('--limit', flags.limit, 16);
  const threads = parseThreads(flags.threads);
  for (const file of inputs) checkInputFile(file);
  const { backend, name } = await resolveBackend(flags.backend ?? 'auto', '', { threads });
  await setBackend(backend);
  const trained = await loadTrained(target, { allowNonFinite: flags.allowNonFinite });
  const shape = trained.model.inputShape as unknown as ImageShape;
  const items = readInputs(inputs, shape, flags, limit);
  const per = shape[0] * shape[1] * shape[2];
  const batch = new Float32Array(items.length * per);
  items.forEach((it, i) => batch.set(it.pixels, i * per));
  normalizeChannels(batch, shape, trained.normalization);
  const model = await compileForInference(trained.model);
  const result = await predict(model, batch, { topK: Math.min(k, trained.model.outputShape[0] ?? k) });
  const names = trained.classNames;
  const top = result.topK!;
  items.forEach((it, i) => {
    const picks = Array.from({ length: top.k }, (_, j) => ({
      class: top.indices[i * top.k + j]!,
      name: names?.[top.indices[i * top.k + j]!],
      probability: top.values[i * top.k + j]!,
    }));
    if (flags.json) process.stdout.write(`${JSON.stringify({ input: it.label, top: picks })}\n`);
    else process.stdout.write(`${it.label}: ${picks.map((p) => `${p.name ?? p.class} ${(p.probability * 100).toFixed(1)}%`).join(', ')}\n`);
  });
  if (!flags.json) process.stdout.write(`(${items.length} inputs, backend ${name})\n`);
  model.dispose();
  trained.model.dispose();
  return EXIT.ok;
}
