import { FormatError } from '../errors.js';
import type { LayerConfig, Model } from '../models/types.js';
import { createOptimizer, type Optimizer, type OptimizerStateJSON } from '../train/optimizers.js';
import { checkTrainState, type TrainState } from '../train/fit.js';
import { decodeSafetensors, encodeSafetensors, entryToFloat32, type SafetensorsEntry } from './safetensors.js';
import { architectureOf, modelTensors, planLoadWeights } from './weights.js';

export const CHECKPOINT_FORMAT = 'stridenet.checkpoint';
const CHECKPOINT_VERSION = '1';
/** Optimizer slots are stored as `optimizer/<slot>/<parameter name>` next to the weights. */
const OPTIMIZER_PREFIX = 'optimizer/';

export interface CheckpointContents {
  model: Model;
  optimizer?: Optimizer;
  /** From a fit callback's `info.state` or a FitResult's `state`. */
  state?: TrainState;
  /** Free-form run metadata (command line, dataset, backend, git commit...), stored as JSON. */
  run?: Record<string, unknown>;
}

/**
 * One safetensors file holding weights (under parameter names), optimizer slots, and in
 * `__metadata__` the architecture, optimizer config and step, train state (epoch, step, RNG
 * states) and run metadata as JSON strings.
 */
export async function encodeCheckpoint(c: CheckpointContents): Promise<Uint8Array> {
  const tensors = await modelTensors(c.model);
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    architecture: JSON.stringify(c.model.toJSON()),
    run: JSON.stringify(c.run ?? {}),
  };
  if (c.optimizer) {
    const { json, slots } = await c.optimizer.exportState();
    metadata.optimizer = JSON.stringify(json);
    for (const s of slots) tensors.push({ name: OPTIMIZER_PREFIX + s.name, shape: s.shape, data: s.data });
  }
  if (c.state) metadata.train = JSON.stringify(c.state);
  return encodeSafetensors(tensors, metadata);
}

export interface Checkpoint {
  file: string;
  architecture: LayerConfig;
  optimizer: OptimizerStateJSON | null;
  state: TrainState | null;
  run: Record<string, unknown>;
  /** Weight entries by parameter name. */
  weights: Map<string, SafetensorsEntry>;
  /** Optimizer slot entries by `<slot>/<parameter name>`. */
  optimizerSlots: Map<string, SafetensorsEntry>;
}

function parseJSON(metadata: Record<string, string>, key: string, file: string): unknown {
  const raw = metadata[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new FormatError(file, `metadata '${key}' is not valid JSON: ${(e as Error).message}`);
  }
}

/** Parses and validates a checkpoint file's bytes (nothing is loaded anywhere yet). */
export function decodeCheckpoint(bytes: Uint8Array, file = 'checkpoint'): Checkpoint {
  const st = decodeSafetensors(bytes, file);
  const md = st.metadata;
  if (md.format !== CHECKPOINT_FORMAT) {
    throw new FormatError(file, `metadata format is ${JSON.stringify(md.format ?? null)} but expected "${CHECKPOINT_FORMAT}" (a weights file? use loadWeights)`);
  }
  if (md.version !== CHECKPOINT_VERSION) throw new FormatError(file, `checkpoint version is ${JSON.stringify(md.version)} but this stridenet reads "${CHECKPOINT_VERSION}"`);
  const architecture = architectureOf(md, file);
  const optimizer = parseJSON(md, 'optimizer', file) as OptimizerStateJSON | undefined;
  if (optimizer !== undefined && (!optimizer || typeof optimizer !== 'object' || !optimizer.config || !Array.isArray(optimizer.slots))) {
    throw new FormatError(file, "metadata 'optimizer' is not { config, iterations, slots }");
  }
  const train = parseJSON(md, 'train', file);
  const state = train === undefined ? null : checkTrainState(train, file);
  const run = (parseJSON(md, 'run', file) ?? {}) as Record<string, unknown>;
  const weights = new Map<string, SafetensorsEntry>();
  const optimizerSlots = new Map<string, SafetensorsEntry>();
  for (const [name, e] of st.tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) optimizerSlots.set(name.slice(OPTIMIZER_PREFIX.length), e);
    else weights.set(name, e);
  }
  if (!optimizer && optimizerSlots.size > 0) throw new FormatError(file, "has optimizer tensors but no 'optimizer' metadata");
  return { file, architecture, optimizer: optimizer ?? null, state, run, weights, optimizerSlots };
}

export interface RestoredCheckpoint {
  /** The optimizer passed in, or one built from the checkpoint's config; null if none was saved. */
  optimizer: Optimizer | null;
  /** Pass to `fit(..., { resume: state })`. */
  state: TrainState | null;
  run: Record<string, unknown>;
}

/**
 * Loads a checkpoint into `model` (and `optimizer`, or a new one from the saved config). All
 * names, shapes and dtypes of weights and optimizer slots are checked first; on any mismatch a
 * FormatError naming the file is thrown and the model and optimizer are left unchanged.
 */
export function restoreCheckpoint(ckpt: Checkpoint, model: Model, optimizer?: Optimizer): RestoredCheckpoint {
  const { file } = ckpt;
  const weightsPlan = planLoadWeights(model, ckpt.weights, file);
  let opt: Optimizer | null = null;
  let slots: Map<string, { shape: number[]; data: Float32Array }> | null = null;
  if (ckpt.optimizer) {
    const cfg = ckpt.optimizer.config;
    if (optimizer && optimizer.config.type !== cfg.type) {
      throw new FormatError(file, `optimizer is '${String(cfg.type)}' but the run's optimizer is '${optimizer.config.type}'`);
    }
    if (!Number.isSafeInteger(ckpt.optimizer.iterations) || ckpt.optimizer.iterations < 0) {
      throw new FormatError(file, `optimizer iterations is ${String(ckpt.optimizer.iterations)} but expected a non-negative integer`);
    }
    const shapes = new Map(model.parameters().map((p) => [p.name, p.value.shape] as const));
    slots = new Map();
    for (const name of ckpt.optimizer.slots) {
      const e = ckpt.optimizerSlots.get(name);
      if (!e) throw new FormatError(file, `optimizer slot '${name}' is listed but its tensor is missing`);
      const param = name.slice(name.indexOf('/') + 1);
      const want = shapes.get(param);
      if (!want) throw new FormatError(file, `optimizer slot '${name}' belongs to no parameter of model '${model.name}'`);
      if (e.dtype !== 'F32') throw new FormatError(file, `optimizer slot '${name}' is ${e.dtype} but expected F32`);
      if (e.shape.length !== want.length || e.shape.some((d, i) => d !== want[i])) {
        throw new FormatError(file, `optimizer slot '${name}' has shape [${e.shape.join(',')}] but parameter '${param}' is [${want.join(',')}]`);
      }
      slots.set(name, { shape: e.shape, data: entryToFloat32(e, file) });
    }
    for (const name of ckpt.optimizerSlots.keys()) {
      if (!ckpt.optimizer.slots.includes(name)) throw new FormatError(file, `optimizer tensor '${name}' is not listed in the optimizer metadata`);
    }
    try {
      opt = optimizer ?? createOptimizer(cfg);
    } catch (e) {
      throw new FormatError(file, `optimizer config is invalid: ${(e as Error).message}`);
    }
  } else if (optimizer) {
    opt = optimizer;
  }
  // Everything checked: from here on only allocation can fail.
  weightsPlan.apply();
  if (opt && slots && ckpt.optimizer) opt.importState(ckpt.optimizer, slots, file);
  return { optimizer: opt, state: ckpt.state, run: ckpt.run };
}
