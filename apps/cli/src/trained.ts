import { existsSync, statSync } from 'node:fs';
import { FormatError, compile, decodeModelFile, type CompiledModel, type LayerModel, type ModelFileOptions } from '@stridenet/core';
import { readModelFile } from '@stridenet/core/node';
import { listPretrained, pretrainedWeights } from '@stridenet/weights';
import { isOnnxFile, readOnnxFile } from './onnx.js';
import type { ChannelStats } from '@stridenet/datasets';
import { UsageError } from './errors.js';
import { RunDir } from './run-dir.js';

/**
 * What `predict` and `eval` need besides the weights, stored in every weights file and checkpoint
 * `stridenet train` writes (metadata entry 'run', JSON), so a file copied out of its run directory
 * still predicts exactly as it was trained.
 */
export interface PredictionMetadata {
  /** Per-channel mean and standard deviation of the training images (in [0, 1] units). */
  normalization: ChannelStats;
  /** Class names in label order, one per model output. */
  classNames: readonly string[];
  /** [channels, height, width] of one input image. */
  inputShape: readonly number[];
}

/** The metadata the trainer writes next to a model's weights (merged into its 'run' entry). */
export function predictionMetadata(data: { stats: ChannelStats; classNames: readonly string[]; shape: readonly number[] }): PredictionMetadata {
  return { normalization: data.stats, classNames: [...data.classNames], inputShape: [...data.shape] };
}

export interface TrainedModel extends PredictionMetadata {
  model: LayerModel;
  file: string;
  /** The dataset it was trained on, when the file says. */
  dataset?: string;
}

/**
 * The weights file a user points at: a run directory (its final weights, else its best or latest
 * checkpoint) or a .safetensors weights/checkpoint file (loadTrained also reads an .onnx file).
 */
export function weightsPathOf(target: string): { file: string; run?: RunDir } {
  if (!existsSync(target)) throw new UsageError(`'${target}' does not exist: give a run directory or a .safetensors file`);
  if (statSync(target).isDirectory()) {
    const run = RunDir.open(target);
    for (const f of [run.weights, run.bestCheckpoint, run.latestCheckpoint]) if (existsSync(f)) return { file: f, run };
    throw new UsageError(`${run.path} holds no weights yet (no weights.safetensors or checkpoints/*.safetensors)`);
  }
  return { file: target };
}

const SAFETENSORS_FIX =
  'Files written by `stridenet train` carry it; retrain, or save the weights with saveWeightsFile(path, model, { run: JSON.stringify({ normalization: { mean, std }, classNames, inputShape }) })';
/** The fix for an .onnx file without the metadata. */
export const ONNX_FIX =
  "Files written by `stridenet export` carry it (ONNX metadata_props 'run'); or import it with `stridenet import <model.onnx> --out <dir> --classes a,b,c --mean m --std s`";

const isNumbers = (v: unknown, n: number, ok: (x: number) => boolean) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && ok(x));

/** Reads and checks the prediction metadata of a model file against the model it holds. */
export function readPredictionMetadata(metadata: Record<string, string>, model: LayerModel, file: string, fix = SAFETENSORS_FIX): PredictionMetadata & { dataset?: string } {
  let run: Record<string, unknown> = {};
  if (metadata.run !== undefined) {
    try {
      run = JSON.parse(metadata.run) as Record<string, unknown>;
    } catch (e) {
      throw new FormatError(file, `metadata 'run' is not valid JSON: ${(e as Error).message}`);
    }
  }
  const channels = model.inputShape[0]!;
  const classes = model.outputShape[model.outputShape.length - 1]!;
  const stats = run.normalization as ChannelStats | undefined;
  const problems: string[] = [];
  if (stats === undefined) problems.push('normalization (per-channel mean and std)');
  else if (!isNumbers(stats.mean, channels, Number.isFinite) || !isNumbers(stats.std, channels, (x) => Number.isFinite(x) && x > 0)) {
    problems.push(`a valid normalization (${channels} finite means and ${channels} positive stds; found ${JSON.stringify(stats)})`);
  }
  const names = run.classNames;
  if (names === undefined) problems.push('classNames');
  else if (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === 'string')) {
    problems.push(`classNames as ${classes} strings, one per model output (found ${JSON.stringify(names)})`);
  }
  const shape = run.inputShape;
  if (shape !== undefined && (!Array.isArray(shape) || shape.join() !== model.inputShape.join())) {
    problems.push(`an inputShape matching the architecture's [${model.inputShape.join(',')}] (found ${JSON.stringify(shape)})`);
  }
  if (problems.length > 0) {
    throw new FormatError(
      file,
      `lacks what predict and eval need in its 'run' metadata: ${problems.join('; ')}. ${fix}`,
    );
  }
  return { normalization: stats!, classNames: names as string[], inputShape: [...model.inputShape], dataset: typeof run.dataset === 'string' ? run.dataset : undefined };
}

/** `pretrained:<model>/<dataset>` names the weights @stridenet/weights ships, e.g. pretrained:lenet5/fashion-mnist. */
export const PRETRAINED_PREFIX = 'pretrained:';

/** The pretrained model and its 'run' metadata, read from the package's checksummed safetensors bytes. */
async function readPretrained(target: string, options: ModelFileOptions) {
  const [model = '', dataset = ''] = target.slice(PRETRAINED_PREFIX.length).split('/');
  if (!listPretrained().some((m) => m.model === model && m.dataset === dataset)) {
    const known = listPretrained().map((m) => `${PRETRAINED_PREFIX}${m.model}/${m.dataset}`);
    throw new UsageError(`'${target}' is not a pretrained model; expected one of ${known.join(', ')}`);
  }
  return decodeModelFile(await pretrainedWeights(model, dataset), target, options);
}

/**
 * Rebuilds a trained model with the normalisation, class names and input shape stored in its own
 * file (never guessed from the directory it sits in).
 */
export async function loadTrained(target: string, options: ModelFileOptions = {}): Promise<TrainedModel> {
  const pretrained = target.startsWith(PRETRAINED_PREFIX) && !existsSync(target);
  const onnx = !pretrained && isOnnxFile(target);
  const { file } = onnx || pretrained ? { file: target } : weightsPathOf(target);
  const { model, metadata } = pretrained ? await readPretrained(target, options) : onnx ? await readOnnxFile(file) : await readModelFile(file, options);
  try {
    return { model, file, ...readPredictionMetadata(metadata, model, file, onnx ? ONNX_FIX : SAFETENSORS_FIX) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The model compiled for inference (batch norm folded, bias + ReLU fused, dropout removed); a layer
 * with no compiled form runs eagerly and the reason goes to stderr. Dispose it, then the model.
 */
export async function compileForInference(model: LayerModel): Promise<CompiledModel> {
  return compile(model, { mode: 'inference', log: (line) => process.stderr.write(`stridenet: compile: ${line}\n`) });
}
