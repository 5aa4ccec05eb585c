import { ArgumentError, FormatError } from '../errors.js';
import { keep, type Tensor } from '../engine.js';
import type { Parameter } from '../models/types.js';
import { tensor, zeros } from '../ops/create.js';
import { adamUpdateMany, sgdUpdateMany } from '../ops/optimizer.js';
import { noGrad } from '../autograd/record.js';
import { checkOptionKeys, optionKeys } from '../options.js';

export interface SgdConfig {
  type: 'sgd';
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface AdamConfig {
  /** 'adamw' decouples weight decay from the gradient (Loshchilov & Hutter); 'adam' adds it to the gradient. */
  type: 'adam' | 'adamw';
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export type OptimizerConfig = SgdConfig | AdamConfig;

const SGD_OPTION_KEYS = optionKeys<Omit<SgdConfig, 'type'>>({ lr: 1, momentum: 1, nesterov: 1, weightDecay: 1 });
const ADAM_OPTION_KEYS = optionKeys<Omit<AdamConfig, 'type'>>({ lr: 1, beta1: 1, beta2: 1, epsilon: 1, weightDecay: 1 });

/** One slot tensor (velocity, m, v) of one parameter, as plain data for checkpoints. */
export interface OptimizerSlotData {
  /** `<slot>/<parameter name>`, e.g. 'm/conv1.weight'. */
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** JSON-safe part of an optimizer's state; slot tensors travel separately (see `Optimizer.slots`). */
export interface OptimizerStateJSON {
  config: OptimizerConfig;
  /** Optimizer steps taken (Adam's bias correction uses it). */
  iterations: number;
  /** Slot names present, in order. */
  slots: string[];
}

/**
 * Updates parameters in place with the backend's fused update kernels. State (slots keyed by
 * parameter name, step count) is created lazily on the first step and can be exported and restored
 * exactly, so a resumed run continues bit for bit.
 */
export interface Optimizer {
  readonly config: Readonly<OptimizerConfig>;
  readonly iterations: number;
  /** One update: `grads[i]` belongs to `params[i]`; `lr` overrides config.lr (schedules). */
  step(params: readonly Parameter[], grads: readonly Tensor[], lr?: number): void;
  /** Live slot tensors by `<slot>/<param>` name (owned by the optimizer; do not dispose). */
  slots(): Map<string, Tensor>;
  /** Copies of every slot for saving. */
  exportState(): Promise<{ json: OptimizerStateJSON; slots: OptimizerSlotData[] }>;
  /**
   * Replaces the state. Validates everything (config type, slot names and sizes) before changing
   * anything; `file` names the source in errors.
   */
  importState(json: OptimizerStateJSON, slots: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, file?: string): void;
  dispose(): void;
}

function checkNumber(op: string, name: string, v: unknown, lo: number, hi: number, loOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (loOpen && v === lo)) {
    throw new ArgumentError(op, name, v, `a finite number in ${loOpen ? '(' : '['}${lo}, ${hi}]`);
  }
  return v;
}

abstract class BaseOptimizer implements Optimizer {
  protected state = new Map<string, Tensor>();
  protected steps = 0;
  protected abstract readonly slotNames: readonly string[];
  abstract readonly config: Readonly<OptimizerConfig>;

  get iterations(): number {
    return this.steps;
  }

  protected slotFor(slot: string, p: Parameter): Tensor {
    const key = `${slot}/${p.name}`;
    let t = this.state.get(key);
    if (t && (t.isDisposed || t.backend !== p.value.backend)) t = undefined;
    if (!t) {
      t = keep(zeros(p.value.shape, p.value.backend));
      this.state.set(key, t);
    } else if (t.size !== p.value.size || t.shape.some((d, i) => d !== p.value.shape[i])) {
      throw new ArgumentError('optimizer.step', `state '${key}' shape`, t.shape, `[${p.value.shape.join(',')}] like parameter '${p.name}'`);
    }
    return t;
  }

  step(params: readonly Parameter[], grads: readonly Tensor[], lr?: number): void {
    if (params.length !== grads.length) {
      throw new ArgumentError('optimizer.step', 'grads.length', grads.length, `${params.length} (one per parameter)`);
    }
    const rate = lr ?? this.config.lr;
    checkNumber('optimizer.step', 'lr', rate, 0, Infinity);
    // One multi-tensor kernel call per backend (normally one per step), not one per parameter.
    // Grouping reads every parameter's backend first, so a disposed one throws before any update.
    const groups = new Map<unknown, { params: Parameter[]; grads: Tensor[] }>();
    params.forEach((p, i) => {
      const key = p.value.backend;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { params: [], grads: [] }));
      g.params.push(p);
      g.grads.push(grads[i]!);
    });
    this.steps += 1;
    noGrad(() => {
      for (const g of groups.values()) this.update(g.params, g.grads, rate);
    });
  }

  /** Updates `params` (all on one backend) in one kernel call; slots are created in parameter order. */
  protected abstract update(params: readonly Parameter[], grads: readonly Tensor[], lr: number): void;

  slots(): Map<string, Tensor> {
    return new Map(this.state);
  }

  async exportState(): Promise<{ json: OptimizerStateJSON; slots: OptimizerSlotData[] }> {
    const slots: OptimizerSlotData[] = [];
    for (const [name, t] of this.state) slots.push({ name, shape: [...t.shape], data: await t.data() });
    return { json: { config: { ...this.config }, iterations: this.steps, slots: slots.map((s) => s.name) }, slots };
  }

  importState(json: OptimizerStateJSON, slots: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, file = 'optimizer state'): void {
    if (!json || typeof json !== 'object' || !json.config) throw new FormatError(file, 'optimizer state is missing or not an object');
    if (json.config.type !== this.config.type) {
      throw new FormatError(file, `optimizer type is '${String(json.config.type)}' but this optimizer is '${this.config.type}'`);
    }
    if (!Number.isSafeInteger(json.iterations) || json.iterations < 0) {
      throw new FormatError(file, `optimizer iterations is ${String(json.iterations)} but expected a non-negative integer`);
    }
    if (!Array.isArray(json.slots)) throw new FormatError(file, 'optimizer slots list is missing');
    for (const name of json.slots) {
      const slot = String(name).split('/')[0]!;
      if (!this.slotNames.includes(slot)) {
        throw new FormatError(file, `optimizer slot '${name}' is not one of ${this.config.type}'s slots (${this.slotNames.join(', ')})`);
      }
      const s = slots.get(name);
      if (!s) throw new FormatError(file, `optimizer slot '${name}' is listed but its tensor is missing`);
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (s.data.length !== n) throw new FormatError(file, `optimizer slot '${name}' has ${s.data.length} values but shape [${s.shape.join(',')}]`);
    }
    const fresh = new Map<string, Tensor>();
    try {
      for (const name of json.slots) {
        const s = slots.get(name)!;
        fresh.set(name, keep(tensor(s.data, s.shape)));
      }
    } catch (e) {
      for (const t of fresh.values()) t.dispose();
      throw e;
    }
    for (const t of this.state.values()) t.dispose();
    this.state = fresh;
    this.steps = json.iterations;
  }

  dispose(): void {
    for (const t of this.state.values()) t.dispose();
    this.state.clear();
  }
}

export class Sgd extends BaseOptimizer {
  readonly config: Readonly<SgdConfig>;
  protected readonly slotNames = ['velocity'] as const;

  constructor(options: Partial<Omit<SgdConfig, 'type'>> & { lr: number }) {
    super();
    const op = 'Sgd';
    checkOptionKeys(op, options, SGD_OPTION_KEYS);
    this.config = Object.freeze({
      type: 'sgd',
      lr: checkNumber(op, 'lr', options.lr, 0, Infinity),
      momentum: checkNumber(op, 'momentum', options.momentum ?? 0, 0, 1),
      nesterov: Boolean(options.nesterov ?? false),
      weightDecay: checkNumber(op, 'weightDecay', options.weightDecay ?? 0, 0, Infinity),
    });
    if (this.config.nesterov && this.config.momentum === 0) throw new ArgumentError(op, 'nesterov', true, 'momentum > 0 (Nesterov needs momentum)');
  }

  protected update(params: readonly Parameter[], grads: readonly Tensor[], lr: number): void {
    const { momentum, nesterov, weightDecay } = this.config;
    const velocities = params.map((p) => this.slotFor('velocity', p));
    sgdUpdateMany(params.map((p) => p.value), grads, velocities, { lr, momentum, nesterov, weightDecay });
  }
}

export class Adam extends BaseOptimizer {
  readonly config: Readonly<AdamConfig>;
  protected readonly slotNames = ['m', 'v'] as const;

  constructor(options: Partial<Omit<AdamConfig, 'type'>> & { lr?: number }, decoupled = false) {
    super();
    const op = decoupled ? 'AdamW' : 'Adam';
    checkOptionKeys(op, options, ADAM_OPTION_KEYS);
    this.config = Object.freeze({
      type: decoupled ? 'adamw' : 'adam',
      lr: checkNumber(op, 'lr', options.lr ?? 1e-3, 0, Infinity),
      beta1: checkNumber(op, 'beta1', options.beta1 ?? 0.9, 0, 1),
      beta2: checkNumber(op, 'beta2', options.beta2 ?? 0.999, 0, 1),
      epsilon: checkNumber(op, 'epsilon', options.epsilon ?? 1e-8, 0, Infinity, true),
      weightDecay: checkNumber(op, 'weightDecay', options.weightDecay ?? (decoupled ? 0.01 : 0), 0, Infinity),
    });
    if (this.config.beta1 === 1 || this.config.beta2 === 1) throw new ArgumentError(op, 'beta1/beta2', [this.config.beta1, this.config.beta2], 'values in [0, 1)');
  }

  protected update(params: readonly Parameter[], grads: readonly Tensor[], lr: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const ms: Tensor[] = [];
    const vs: Tensor[] = [];
    for (const p of params) {
      ms.push(this.slotFor('m', p));
      vs.push(this.slotFor('v', p));
    }
    adamUpdateMany(params.map((p) => p.value), grads, ms, vs, {
      lr,
      beta1,
      beta2,
      epsilon,
      weightDecay,
      decoupled: this.config.type === 'adamw',
      step: this.steps,
    });
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  constructor(options: Partial<Omit<AdamConfig, 'type'>> & { lr?: number }) {
    super(options, true);
  }
}

/** An optimizer from its JSON config (checkpoints, CLI). */
export function createOptimizer(config: OptimizerConfig | { type: string; [k: string]: unknown }): Optimizer {
  const { type, ...rest } = config as OptimizerConfig;
  switch (type) {
    case 'sgd':
      return new Sgd(rest as SgdConfig);
    case 'adam':
      return new Adam(rest as AdamConfig);
    case 'adamw':
      return new AdamW(rest as AdamConfig);
    default:
      throw new ArgumentError('createOptimizer', 'config.type', type, "'sgd', 'adam' or 'adamw'");
  }
}
