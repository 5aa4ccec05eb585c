import { FormatError } from '../errors.js';
import { keep, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import type { LayerConfig, Model, Parameter } from '../models/types.js';
import { decodeSafetensors, encodeSafetensors, entryToFloat32, type SafetensorsEntry, type SafetensorsInput } from './safetensors.js';

export const WEIGHTS_FORMAT = 'stridenet.weights';

/** Every parameter and buffer of the model, read back as float32 arrays under their names. */
export async function modelTensors(model: Model): Promise<SafetensorsInput[]> {
  const params = model.parameters();
  const names = new Set<string>();
  for (const p of params) {
    if (names.has(p.name)) throw new FormatError(model.name, `model has two parameters named '${p.name}'; names must be unique to save`);
    names.add(p.name);
  }
  return Promise.all(params.map(async (p) => ({ name: p.name, shape: [...p.value.shape], data: await p.value.data() })));
}

/**
 * The model's weights as safetensors bytes, keyed by `model.parameters()` names (float32), with
 * the architecture JSON (`model.toJSON()`) in the metadata under 'architecture'.
 */
export async function encodeWeights(model: Model, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const tensors = await modelTensors(model);
  return encodeSafetensors(tensors, { ...metadata, format: WEIGHTS_FORMAT, architecture: JSON.stringify(model.toJSON()) });
}

/** A validated plan to replace parameter values: building it changes nothing. */
export interface WeightsPlan {
  apply(): void;
}

/**
 * Checks every parameter of `model` against `entries` (name present, F32, same shape; no
 * unexpected names) and returns the replacement to apply. `file` names the source in errors.
 */
export function planLoadWeights(model: Model, entries: ReadonlyMap<string, SafetensorsEntry>, file: string): WeightsPlan {
  const params = model.parameters();
  const byName = new Map<string, Parameter>(params.map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const p of params) {
    const e = entries.get(p.name);
    const want = `[${p.value.shape.join(',')}]`;
    if (!e) problems.push(`missing tensor '${p.name}' (model '${model.name}' expects F32 ${want})`);
    else if (e.dtype !== 'F32') problems.push(`tensor '${p.name}' is ${e.dtype} but model '${model.name}' needs F32`);
    else if (e.shape.length !== p.value.shape.length || e.shape.some((d, i) => d !== p.value.shape[i])) {
      problems.push(`tensor '${p.name}' has shape [${e.shape.join(',')}] but model '${model.name}' expects ${want}`);
    }
  }
  for (const name of entries.keys()) if (!byName.has(name)) problems.push(`unexpected tensor '${name}' (model '${model.name}' has no such parameter)`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    throw new FormatError(file, `weights do not fit the model: ${shown}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
  }
  return {
    apply(): void {
      const fresh: Tensor[] = [];
      try {
        for (const p of params) fresh.push(keep(tensor(entryToFloat32(entries.get(p.name)!, file), p.value.shape, p.value.backend)));
      } catch (e) {
        for (const t of fresh) t.dispose();
        throw e;
      }
      params.forEach((p, i) => {
        const old = p.value;
        p.value = fresh[i]!;
        old.dispose();
      });
    },
  };
}

/**
 * Loads safetensors weights into `model`, all or nothing: every name, dtype and shape is checked
 * before any parameter is replaced, and on a mismatch a FormatError naming `file` is thrown with
 * the model unchanged. Returns the file's metadata.
 */
export function loadWeights(model: Model, bytes: Uint8Array, file = 'weights'): Record<string, string> {
  const st = decodeSafetensors(bytes, file);
  planLoadWeights(model, st.tensors, file).apply();
  return st.metadata;
}

/** The architecture JSON stored in a weights or checkpoint file's metadata. */
export function architectureOf(metadata: Record<string, string>, file: string): LayerConfig {
  const raw = metadata.architecture;
  if (raw === undefined) throw new FormatError(file, "metadata has no 'architecture' entry (not saved by stridenet?)");
  let arch: unknown;
  try {
    arch = JSON.parse(raw);
  } catch (e) {
    throw new FormatError(file, `metadata 'architecture' is not valid JSON: ${(e as Error).message}`);
  }
  if (!arch || typeof arch !== 'object' || typeof (arch as LayerConfig).type !== 'string') {
    throw new FormatError(file, "metadata 'architecture' is not a layer config object with a string 'type'");
  }
  return arch as LayerConfig;
}
