import { ArgumentError, FormatError, StridenetError } from '../errors.js';
import type { LayerConfig } from '../models/types.js';
import { modelFromJSON, type BuildOptions, type LayerModel } from '../models/model.js';
import { sizeOf } from '../plans/common.js';
import { decodeSafetensors } from './safetensors.js';
import { architectureOf, planLoadWeights, type LoadWeightsOptions } from './weights.js';

/**
 * Default size budget of a model rebuilt from a file: 2^28 parameter values (1 GiB of float32;
 * VGG-16 has 138 M) and 2^26 activation values per example summed over every layer output
 * (256 MiB of float32; VGG-16 at 224x224 has 15 M). Building a model only infers shapes — no
 * tensor exists until a parameter is used — so a file claiming a larger model is refused before
 * anything is allocated.
 */
export const MODEL_LIMITS = Object.freeze({ maxParameters: 2 ** 28, maxActivationsPerExample: 2 ** 26 });

export interface ArchitectureOptions extends BuildOptions {
  /** Most parameter values (weights and buffers) accepted; default MODEL_LIMITS.maxParameters. */
  maxParameters?: number;
  /** Most activation values per example, summed over every layer's output; default MODEL_LIMITS.maxActivationsPerExample. */
  maxActivationsPerExample?: number;
}

export interface ModelFileOptions extends ArchitectureOptions, LoadWeightsOptions {}

function limit(file: string, name: keyof typeof MODEL_LIMITS, v: number | undefined): number {
  if (v === undefined) return MODEL_LIMITS[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`${file}: architecture`, name, v, 'a positive integer');
  return v;
}

/** Throws an ArgumentError when a built (not yet initialised) model is over the size budget. */
function checkBudget(model: LayerModel, file: string, options: ArchitectureOptions): void {
  const maxParameters = limit(file, 'maxParameters', options.maxParameters);
  const maxActivations = limit(file, 'maxActivationsPerExample', options.maxActivationsPerExample);
  const params = model.countParams().total;
  if (params > maxParameters) {
    throw new ArgumentError(`${file}: architecture`, 'parameter count', params, `at most ${maxParameters} (maxParameters; raise it to load a model this large)`);
  }
  let activations = 0;
  for (const layer of model.layers) activations += sizeOf(layer.outputShape);
  if (activations > maxActivations) {
    throw new ArgumentError(
      `${file}: architecture`,
      'activation values per example',
      activations,
      `at most ${maxActivations} (maxActivationsPerExample; raise it to run a model this large)`,
    );
  }
}

/**
 * Builds a model (shapes only: no parameter tensor is created yet) from the architecture JSON
 * stored in a weights or checkpoint file, and checks it against the size budget. An unknown layer
 * or model type, or bad options, becomes a FormatError naming the file; a model over the budget
 * an ArgumentError naming the count and the limit.
 */
export function modelFromArchitecture(architecture: LayerConfig, file: string, options: ArchitectureOptions = {}): LayerModel {
  const { maxParameters: _p, maxActivationsPerExample: _a, ...build } = options;
  let model: LayerModel;
  try {
    model = modelFromJSON(architecture, build);
  } catch (e) {
    if (e instanceof StridenetError || e instanceof RangeError) throw new FormatError(file, `architecture cannot be built: ${e.message}`);
    throw e;
  }
  try {
    checkBudget(model, file, options);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/**
 * A model rebuilt from a stridenet weights or checkpoint file, with the file's metadata:
 * architecture from the metadata, checked against the size budget and against the tensors the
 * file holds (every parameter present with its shape, all finite unless allowed) before any
 * weight is allocated; then the weights (optimizer tensors of a checkpoint are ignored).
 */
export function decodeModelFile(bytes: Uint8Array, file: string, options: ModelFileOptions = {}): { model: LayerModel; metadata: Record<string, string> } {
  const st = decodeSafetensors(bytes, file);
  const { allowNonFinite, ...build } = options;
  const model = modelFromArchitecture(architectureOf(st.metadata, file), file, build);
  try {
    const weights = new Map([...st.tensors].filter(([name]) => !name.startsWith('optimizer/')));
    planLoadWeights(model, weights, file, { allowNonFinite }).apply();
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, metadata: st.metadata };
}

/** The model of a stridenet weights or checkpoint file (see decodeModelFile). */
export function modelFromFile(bytes: Uint8Array, file: string, options: ModelFileOptions = {}): LayerModel {
  return decodeModelFile(bytes, file, options).model;
}
