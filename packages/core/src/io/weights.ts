import { FormatError } from '../errors.js';
import { keep, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import type { LayerConfig, Model, Parameter } from '../models/types.js';
import { sizeOf } from '../plans/common.js';
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

export interface LoadWeightsOptions {
  /**
   * Accept NaN and ±Infinity weights (default false: a file holding any is refused, naming each
   * tensor and how many of its values are not finite — a diverged run's weights give NaN
   * predictions without any other sign).
   */
  allowNonFinite?: boolean;
}

/** A parameter's shape as declared by its layer, without creating (initialising) its tensor. */
function declaredShape(p: Parameter): readonly number[] {
  const shape = (p as { shape?: unknown }).shape;
  return Array.isArray(shape) ? shape : p.value.shape;
}

/** Non-finite values (NaN, ±Infinity) of a float entry, found from the exponent bits without decoding. */
export function countNonFinite(entry: SafetensorsEntry): number {
  const b = entry.bytes;
  let n = 0;
  switch (entry.dtype) {
    case 'F32':
      for (let i = 0; i < b.length; i += 4) if ((b[i + 3]! & 0x7f) === 0x7f && (b[i + 2]! & 0x80) !== 0) n++;
      return n;
    case 'F64':
      for (let i = 0; i < b.length; i += 8) if ((b[i + 7]! & 0x7f) === 0x7f && (b[i + 6]! & 0xf0) === 0xf0) n++;
      return n;
    case 'BF16':
      for (let i = 0; i < b.length; i += 2) if ((b[i + 1]! & 0x7f) === 0x7f && (b[i]! & 0x80) !== 0) n++;
      return n;
    case 'F16':
      for (let i = 0; i < b.length; i += 2) if ((b[i + 1]! & 0x7c) === 0x7c) n++;
      return n;
    default:
      return 0;
  }
}

/** Lists a handful of problems in one message, with a count of the rest. */
function listProblems(problems: readonly string[]): string {
  return `${problems.slice(0, 8).join('; ')}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`;
}

/**
 * Checks every parameter of `model` against `entries` (name present, F32, same shape; no
 * unexpected names; every value finite unless `allowNonFinite`) and returns the replacement to
 * apply. Shapes come from the layers' declarations, so a model whose parameters were never
 * initialised is checked without allocating them. `file` names the source in errors.
 */
export function planLoadWeights(model: Model, entries: ReadonlyMap<string, SafetensorsEntry>, file: string, options: LoadWeightsOptions = {}): WeightsPlan {
  const params = model.parameters();
  const byName = new Map<string, Parameter>(params.map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const p of params) {
    const e = entries.get(p.name);
    const shape = declaredShape(p);
    const want = `[${shape.join(',')}]`;
    if (!e) problems.push(`missing tensor '${p.name}' (model '${model.name}' expects F32 ${want})`);
    else if (e.dtype !== 'F32') problems.push(`tensor '${p.name}' is ${e.dtype} but model '${model.name}' needs F32`);
    else if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor '${p.name}' has shape [${e.shape.join(',')}] but model '${model.name}' expects ${want}`);
    }
  }
  for (const name of entries.keys()) if (!byName.has(name)) problems.push(`unexpected tensor '${name}' (model '${model.name}' has no such parameter)`);
  if (problems.length > 0) throw new FormatError(file, `weights do not fit the model: ${listProblems(problems)}`);
  if (!options.allowNonFinite) {
    const bad: string[] = [];
    for (const p of params) {
      const n = countNonFinite(entries.get(p.name)!);
      if (n > 0) bad.push(`tensor '${p.name}' has ${n} of ${sizeOf(declaredShape(p))} values NaN or infinite`);
    }
    if (bad.length > 0) {
      throw new FormatError(file, `weights are not finite (a diverged run?): ${listProblems(bad)}. To load them anyway pass allowNonFinite: true (stridenet eval/predict/info: --allow-non-finite)`);
    }
  }
  return {
    apply(): void {
      // A parameter never used yet has no tensor: reading `value` would initialise one only to drop it.
      const live = params.map((p) => (p as { isMaterialized?: boolean }).isMaterialized !== false);
      const fresh: Tensor[] = [];
      try {
        params.forEach((p, i) => {
          fresh.push(keep(tensor(entryToFloat32(entries.get(p.name)!, file), declaredShape(p), live[i] ? p.value.backend : undefined)));
        });
      } catch (e) {
        for (const t of fresh) t.dispose();
        throw e;
      }
      params.forEach((p, i) => {
        const old = live[i] ? p.value : undefined;
        p.value = fresh[i]!;
        if (old && !old.isDisposed) old.dispose();
      });
    },
  };
}

/**
 * Loads safetensors weights into `model`, all or nothing: every name, dtype, shape and (unless
 * allowed) finiteness is checked before any parameter is replaced, and on a mismatch a FormatError
 * naming `file` is thrown with the model unchanged. Returns the file's metadata.
 */
export function loadWeights(model: Model, bytes: Uint8Array, file = 'weights', options: LoadWeightsOptions = {}): Record<string, string> {
  const st = decodeSafetensors(bytes, file);
  planLoadWeights(model, st.tensors, file, options).apply();
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
