import { FormatError, StridenetError } from '../errors.js';
import type { LayerConfig } from '../models/types.js';
import { modelFromJSON, type BuildOptions, type LayerModel } from '../models/model.js';
import { decodeSafetensors } from './safetensors.js';
import { architectureOf, planLoadWeights } from './weights.js';

/**
 * Builds a model (fresh weights) from the architecture JSON stored in a weights or checkpoint
 * file; an unknown layer or model type, or bad options, becomes a FormatError naming the file.
 */
export function modelFromArchitecture(architecture: LayerConfig, file: string, options: BuildOptions = {}): LayerModel {
  try {
    return modelFromJSON(architecture, options);
  } catch (e) {
    if (e instanceof StridenetError) throw new FormatError(file, `architecture cannot be built: ${e.message}`);
    throw e;
  }
}

/**
 * A model rebuilt from a stridenet weights or checkpoint file: architecture from the metadata,
 * then the weights (optimizer tensors of a checkpoint are ignored).
 */
export function modelFromFile(bytes: Uint8Array, file: string, options: BuildOptions = {}): LayerModel {
  const st = decodeSafetensors(bytes, file);
  const model = modelFromArchitecture(architectureOf(st.metadata, file), file, options);
  try {
    const weights = new Map([...st.tensors].filter(([name]) => !name.startsWith('optimizer/')));
    planLoadWeights(model, weights, file).apply();
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
