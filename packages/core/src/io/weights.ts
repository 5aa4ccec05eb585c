import { ArgumentError, FormatError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { nameMapper, type WeightNames, type WeightsReport } from './state-dict.js';
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
  /** What applying it loads, ignores and (when not strict) skips; metadata is left empty. */
  report: WeightsReport;
}

export interface LoadWeightsOptions {
  /**
   * Accept NaN and ±Infinity weights (default false: a file holding any is refused, naming each
   * tensor and how many of its values are not finite — a diverged run's weights give NaN
   * predictions without any other sign).
   */
  allowNonFinite?: boolean;
  /** How file tensor names map to parameter names (default 'stridenet'; see WeightNames). */
  names?: WeightNames;
  /**
   * Default true: every model parameter must be in the file and every file tensor must be a
   * parameter (or ignored by `names`). false: missing parameters keep their values and unexpected
   * tensors are skipped, both listed in the report. Dtypes and shapes are always checked.
   */
  strict?: boolean;
}

const LOAD_WEIGHTS_OPTIONS = optionKeys<LoadWeightsOptions>({ allowNonFinite: 1, names: 1, strict: 1 });

/** Float dtypes a parameter can be read from (F64, F16 and BF16 are converted to float32). */
const FLOAT_DTYPES: ReadonlySet<string> = new Set(['F32', 'F64', 'F16', 'BF16']);

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

/** The file name of each parameter's tensor, after `names`; collects ignored and unexpected tensors. */
function matchNames(model: Model, entries: ReadonlyMap<string, SafetensorsEntry>, options: LoadWeightsOptions, report: WeightsReport, problems: string[]) {
  const mapName = nameMapper('loadWeights', options.names);
  const byParam = new Map<string, SafetensorsEntry>();
  const params = new Set(model.parameters().map((p) => p.name));
  for (const [fileName, entry] of entries) {
    const { target, note } = mapName(fileName);
    if (target === null) report.ignored.push({ name: fileName, note: note ?? 'ignored' });
    else if (!params.has(target)) report.unexpected.push(fileName === target ? fileName : `${fileName} (as '${target}')`);
    else if (byParam.has(target)) problems.push(`tensors '${byParam.get(target)!.name}' and '${fileName}' both map to parameter '${target}'`);
    else byParam.set(target, entry);
  }
  return byParam;
}

/**
 * Checks every parameter of `model` against `entries` (name present after `options.names`, a float
 * dtype, same shape; no unexpected names unless not strict; every value finite unless
 * `allowNonFinite`) and returns the replacement to apply. Shapes come from the layers'
 * declarations, so a model whose parameters were never initialised is checked without allocating
 * them. `file` names the source in errors.
 */
export function planLoadWeights(model: Model, entries: ReadonlyMap<string, SafetensorsEntry>, file: string, options: LoadWeightsOptions = {}): WeightsPlan {
  checkOptionKeys('loadWeights', options, LOAD_WEIGHTS_OPTIONS);
  const strict = options.strict ?? true;
  if (typeof strict !== 'boolean') throw new ArgumentError('loadWeights', 'strict', strict, 'true or false');
  const report: WeightsReport = { metadata: {}, loaded: [], ignored: [], missing: [], unexpected: [] };
  const problems: string[] = [];
  const missing: string[] = [];
  const byParam = matchNames(model, entries, options, report, problems);
  const params = model.parameters().filter((p) => {
    const e = byParam.get(p.name);
    const shape = declaredShape(p);
    const want = `[${shape.join(',')}]`;
    if (!e) {
      if (strict) missing.push(`missing tensor '${p.name}' (model '${model.name}' expects F32 ${want})`);
      else report.missing.push(p.name);
    } else if (!FLOAT_DTYPES.has(e.dtype)) {
      problems.push(`tensor '${e.name}' is ${e.dtype} but parameter '${p.name}' of model '${model.name}' needs a float dtype (F32, F64, F16 or BF16)`);
    } else if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor '${e.name}' has shape [${e.shape.join(',')}] but model '${model.name}' expects ${want}${e.name === p.name ? '' : ` for '${p.name}'`}`);
    }
    return e !== undefined;
  });
  const unexpected = strict ? report.unexpected.map((name) => `unexpected tensor '${name}' (model '${model.name}' has no such parameter)`) : [];
  if (problems.length + missing.length + unexpected.length > 0) {
    const torchNames = (options.names ?? 'stridenet') === 'stridenet' && report.unexpected.some((n) => /\.(running_mean|running_var|num_batches_tracked)$/.test(n));
    const hint = torchNames ? ". This looks like a PyTorch state_dict: pass names: 'pytorch'" : '';
    const lists = [problems, missing, unexpected].filter((l) => l.length > 0).map(listProblems);
    throw new FormatError(file, `weights do not fit the model: ${lists.join('; ')}${hint}`);
  }
  // F64 values beyond float32's range become infinite only when converted: convert those first.
  const converted = new Map(params.map((p) => [p, byParam.get(p.name)!.dtype === 'F64' ? entryToFloat32(byParam.get(p.name)!, file) : undefined]));
  if (!options.allowNonFinite) {
    const bad: string[] = [];
    for (const p of params) {
      const f = converted.get(p);
      const n = f ? f.reduce((c, v) => (Number.isFinite(v) ? c : c + 1), 0) : countNonFinite(byParam.get(p.name)!);
      if (n > 0) bad.push(`tensor '${byParam.get(p.name)!.name}' has ${n} of ${sizeOf(declaredShape(p))} values NaN or infinite${f ? ' (as float32)' : ''}`);
    }
    if (bad.length > 0) {
      throw new FormatError(file, `weights are not finite (a diverged run?): ${listProblems(bad)}. To load them anyway pass allowNonFinite: true (stridenet eval/predict/info: --allow-non-finite)`);
    }
  }
  report.loaded = params.map((p) => p.name);
  return {
    report,
    apply(): void {
      // A parameter never used yet has no tensor: reading `value` would initialise one only to drop it.
      const live = params.map((p) => (p as { isMaterialized?: boolean }).isMaterialized !== false);
      const fresh: Tensor[] = [];
      try {
        params.forEach((p, i) => {
          const values = converted.get(p) ?? entryToFloat32(byParam.get(p.name)!, file);
          fresh.push(keep(tensor(values, declaredShape(p), live[i] ? p.value.backend : undefined)));
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
 * naming `file` is thrown with the model unchanged. F64, F16 and BF16 tensors are converted to
 * float32. `options.names: 'pytorch'` reads a PyTorch state_dict; `strict: false` skips missing
 * and unexpected tensors. Returns what was loaded, ignored and skipped, with the file's metadata.
 */
export function loadStateDict(model: Model, bytes: Uint8Array, file = 'weights', options: LoadWeightsOptions = {}): WeightsReport {
  const st = decodeSafetensors(bytes, file);
  const plan = planLoadWeights(model, st.tensors, file, options);
  plan.apply();
  return { ...plan.report, metadata: st.metadata };
}

/** loadStateDict, returning only the file's metadata. */
export function loadWeights(model: Model, bytes: Uint8Array, file = 'weights', options: LoadWeightsOptions = {}): Record<string, string> {
  return loadStateDict(model, bytes, file, options).metadata;
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
