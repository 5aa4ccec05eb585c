import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { ArgumentError, FormatError, ShapeError, checkOptionKeys, createModel, loadWeights, optionKeys, type LayerModel } from '@stridenet/core';
import { catalog, loaders } from './generated/catalog.js';
import type { ManifestEntry, PretrainedPreprocessing } from './types.js';

export type { Manifest, ManifestEntry, PretrainedPreprocessing } from './types.js';

/** One set of pretrained weights: file, dtype, SHA-256, measured test accuracy and training recipe. */
export type PretrainedInfo = ManifestEntry;

/** A pretrained zoo model with what it takes to feed it and read its outputs. */
export interface Pretrained extends PretrainedPreprocessing {
  /** `createModel(info.model)` with the pretrained weights loaded; dispose it when done. */
  model: LayerModel;
  info: PretrainedInfo;
  /**
   * Images as the model expects them: NCHW pixels, Float32Array in [0, 1] or Uint8Array in
   * [0, 255], normalised with the training set's per-channel mean and std into a new Float32Array.
   */
  normalize(images: Float32Array | Uint8Array): Float32Array;
}

export interface PretrainedWeightsOptions {
  /**
   * The safetensors bytes, when you obtained them yourself (e.g. fetched from a CDN instead of the
   * copy embedded in this package); checked against the same SHA-256.
   */
  bytes?: Uint8Array;
}

const WEIGHTS_OPTIONS = optionKeys<PretrainedWeightsOptions>({ bytes: 1 });

/** Every pretrained model this package ships, with its measured accuracy and recipe. */
export function listPretrained(): readonly PretrainedInfo[] {
  return catalog;
}

const plural = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

/** The manifest entry of `model` trained on `dataset`; an ArgumentError names what exists. `op` prefixes errors. */
export function pretrainedInfo(model: string, dataset: string, op = 'pretrainedInfo'): PretrainedInfo {
  const entry = catalog.find((m) => m.model === model && m.dataset === dataset);
  if (entry) return entry;
  const models = [...new Set(catalog.map((m) => m.model))];
  if (!models.includes(model)) {
    throw new ArgumentError(op, 'model', model, `one of the pretrained models ${plural(models)} (other zoo models come untrained from createModel in @stridenet/core)`);
  }
  throw new ArgumentError(op, 'dataset', dataset, `one of ${plural(catalog.filter((m) => m.model === model).map((m) => m.dataset))} for '${model}'`);
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Throws a FormatError naming the file unless `bytes` are exactly the weights the manifest describes. */
export function checkPretrainedBytes(bytes: Uint8Array, info: PretrainedInfo): void {
  const actual = bytesToHex(sha256(bytes));
  if (actual !== info.sha256) {
    throw new FormatError(
      info.file,
      `SHA-256 is ${actual} (${bytes.length} bytes) but expected ${info.sha256} (${info.bytes} bytes): these are not the ${info.model}/${info.dataset} weights this version of @stridenet/weights ships (corrupt or replaced)`,
    );
  }
}

/**
 * The safetensors bytes of `model` trained on `dataset` (the embedded copy unless `options.bytes`),
 * after checking their SHA-256. Its metadata holds the architecture and the 'run' entry
 * (normalization, class names, input shape), so `stridenet eval` and `predict` read a copy as is.
 */
export async function pretrainedWeights(model: string, dataset: string, options: PretrainedWeightsOptions = {}): Promise<Uint8Array> {
  checkOptionKeys('pretrainedWeights', options, WEIGHTS_OPTIONS);
  const info = pretrainedInfo(model, dataset, 'pretrainedWeights');
  if (options.bytes !== undefined && !(options.bytes instanceof Uint8Array)) {
    throw new ArgumentError('pretrainedWeights', 'bytes', options.bytes, 'a Uint8Array of the safetensors file');
  }
  const bytes = options.bytes ?? decodeBase64((await loaders[`${model}/${dataset}`]!()).base64);
  checkPretrainedBytes(bytes, info);
  return bytes;
}

/**
 * `model` (a zoo name) with the weights trained on `dataset`, checked by SHA-256 and loaded with the
 * active backend (call setBackend first), plus its normalization, class names and input shape:
 *
 *   const { model, normalize, classNames } = await createPretrained('lenet5', 'fashion-mnist');
 */
export async function createPretrained(model: string, dataset: string, options: PretrainedWeightsOptions = {}): Promise<Pretrained> {
  const info = pretrainedInfo(model, dataset, 'createPretrained');
  const bytes = await pretrainedWeights(model, dataset, options);
  const net = createModel(model);
  try {
    loadWeights(net, bytes, info.file);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return { model: net, info, ...info.run, normalize: (images) => normalizeImages(images, info.run) };
}

/**
 * NCHW images (Float32Array in [0, 1], or Uint8Array in [0, 255]) normalised per channel with
 * `preprocessing.normalization`, into a new Float32Array.
 */
export function normalizeImages(images: Float32Array | Uint8Array, preprocessing: PretrainedPreprocessing): Float32Array {
  if (!(images instanceof Float32Array) && !(images instanceof Uint8Array)) {
    throw new ArgumentError('normalize', 'images', images, 'a Float32Array in [0, 1] or a Uint8Array in [0, 255] of NCHW pixels');
  }
  const [c, h, w] = preprocessing.inputShape as [number, number, number];
  const plane = h * w;
  if (images.length % (c * plane) !== 0) {
    throw new ShapeError('normalize', 'images length', images.length, `a multiple of ${c * plane} (images of [${c},${h},${w}])`);
  }
  const scale = images instanceof Uint8Array ? 1 / 255 : 1;
  const { mean, std } = preprocessing.normalization;
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) {
    const ch = Math.floor(i / plane) % c;
    out[i] = (images[i]! * scale - mean[ch]!) / std[ch]!;
  }
  return out;
}
