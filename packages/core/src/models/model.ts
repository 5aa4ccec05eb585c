import { ArgumentError, ShapeError, StridenetError } from '../errors.js';
import { Tensor } from '../engine.js';
import { Rng } from '../random/philox.js';
import type { ForwardContext, LayerConfig, Model } from './types.js';
import { Layer, ModelParameter, type Shape } from '../layers/layer.js';
import { layerFromJSON } from '../layers/registry.js';
import { formatSummary } from './summary.js';
import { recording, taping } from '../autograd/record.js';
import { EagerInference } from './inference-fusion.js';
import { eagerTrainingPlan } from './training-fusion.js';
import { runTrainingPlan, type TrainingPlan } from '../compile/plan-training.js';

/** How a model gets its initial weights. */
export interface BuildOptions {
  name?: string;
  /** Seed of the weight initialisation (default 0): same seed, same weights on every backend. */
  seed?: number;
  /** Alternatively an Rng to draw the model's seed from (advances it). */
  rng?: Rng;
}

/** Index of the model input in a node's input list. */
const MODEL_INPUT = -1;

interface BuiltNode {
  readonly layer: Layer;
  /** Producing node indices, MODEL_INPUT for the model's input. */
  readonly inputs: readonly number[];
}

function checkShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, 'inputShape', shape, 'a non-empty array of positive integers, batch axis excluded (e.g. [1, 28, 28])');
  }
  return Object.freeze([...shape]);
}

function rootRng(options: BuildOptions): Rng {
  if (options.rng !== undefined) {
    if (!(options.rng instanceof Rng)) throw new ArgumentError('build', 'rng', options.rng, 'an Rng');
    const [lo, hi] = options.rng.uint32(2) as unknown as [number, number];
    return new Rng(lo + (hi & 0x1fffff) * 2 ** 32);
  }
  return new Rng(options.seed ?? 0);
}

function snake(type: string): string {
  return type.replace(/([a-z])([A-Z])(?=[a-z])/g, '$1_$2').toLowerCase();
}

/** Gives unnamed layers '<type>_<k>' names and rejects duplicates. */
function assignNames(layers: readonly Layer[]): void {
  const used = new Set<string>();
  for (const l of layers) {
    if (l.name === undefined) continue;
    if (used.has(l.name)) throw new ArgumentError('model', 'layer name', l.name, 'unique layer names within a model');
    used.add(l.name);
  }
  const counters = new Map<string, number>();
  for (const l of layers) {
    if (l.name !== undefined) continue;
    const base = snake(l.type);
    let k = counters.get(base) ?? 0;
    let name: string;
    do name = `${base}_${++k}`;
    while (used.has(name));
    counters.set(base, k);
    used.add(name);
    l.name = name;
  }
}

/**
 * A model made of built layers in topological order: Sequential and graph models share the
 * forward pass, parameters, summary and disposal.
 */
export abstract class LayerModel implements Model {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  protected readonly nodes: readonly BuiltNode[];
  private readonly params: ModelParameter[] = [];
  /** Uses of each node's output by later nodes (+1 for the model output). */
  private readonly uses: number[];
  /** The fused inference schedule and its folded weights, planned on first use; null when nothing fuses. */
  private fused: EagerInference | null | undefined;
  /** The fused training schedule (compile's training plan), planned on the first training pass; null when nothing fuses. */
  private trainingPlan: TrainingPlan | null | undefined;

  protected constructor(name: string, inputShape: Shape, nodes: readonly BuiltNode[], options: BuildOptions) {
    if (typeof name !== 'string' || name.length === 0) throw new ArgumentError('model', 'name', name, 'a non-empty string');
    if (nodes.length === 0) throw new ArgumentError(name, 'layers', [], 'at least one layer');
    this.name = name;
    this.inputShape = inputShape;
    this.nodes = nodes;
    this.outputShape = nodes[nodes.length - 1]!.layer.outputShape;
    this.uses = nodes.map(() => 0);
    for (const n of nodes) for (const i of n.inputs) if (i !== MODEL_INPUT) this.uses[i]! += 1;
    this.uses[nodes.length - 1]! += 1;
    const rng = rootRng(options);
    // Each parameter draws from its own stream: weights do not depend on which is touched first.
    for (const { layer } of nodes) {
      for (const spec of layer.specs) {
        const p = new ModelParameter(`${layer.name}.${spec.name}`, spec, rng.fork(this.params.length));
        layer.attach(spec.name, p);
        this.params.push(p);
      }
    }
  }

  /** The layers in execution order. */
  get layers(): Layer[] {
    return this.nodes.map((n) => n.layer);
  }

  getLayer(name: string): Layer {
    const l = this.nodes.find((n) => n.layer.name === name)?.layer;
    if (!l) throw new ArgumentError(this.name, 'layer name', name, `one of ${this.nodes.map((n) => n.layer.name).join(', ')}`);
    return l;
  }

  /**
   * Logits for a batch [N, ...inputShape]; intermediates are freed as soon as no later layer needs them.
   * Inference that no tape records runs Conv2D / Dense + BatchNorm (+ residual Add) (+ ReLU) chains as one
   * kernel each, batch norm folded into weights the model keeps until its parameters change, a training pass
   * runs or it is disposed. A training pass runs compile's training plan: batch norm (or a linear Conv2D / Dense)
   * with the residual Add and ReLU after it as one op on the tape (ctx.fuse: false runs every layer on its own).
   */
  forward(x: Tensor, ctx: ForwardContext = { training: false, rng: new Rng(0) }): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`${this.name}.forward`, 'x', x, 'a Tensor');
    const want = this.inputShape;
    if (x.rank !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
      throw new ShapeError(`${this.name}.forward`, 'input shape', x.shape, `[batch, ${want.join(', ')}]`);
    }
    // Without an active tape nothing records: the parameter list (every parameter's value, two arrays) is read only
    // under one. A disposed model still throws DisposedError naming its first parameter, from the layer that reads it.
    if (!ctx.training && ctx.fuse !== false && !(taping() && recording([x, ...this.params.map((p) => p.value)]))) {
      // `??=` would plan again on every pass once the answer is null (nothing fuses: LeNet-5 planned its whole schedule
      // per forward, ~8% of a b2 inference's CPU in node --cpu-prof); undefined alone means 'not planned yet'.
      if (this.fused === undefined) this.fused = EagerInference.plan(this.nodes) ?? null;
      if (this.fused) return this.fused.run(x, ctx);
    } else if (ctx.fuse !== false) {
      // A pass some tape records (or that trains): the weights are about to change, so the folded copies go now
      // instead of lingering through training. A training pass runs the training plan (its fused ops have their own
      // gradients); a recorded inference pass runs layer by layer, its gradients following the layers.
      this.fused?.dispose();
      if (ctx.training) {
        if (this.trainingPlan === undefined) this.trainingPlan = eagerTrainingPlan(this.nodes) ?? null;
        if (this.trainingPlan) return runTrainingPlan(this.trainingPlan, x, ctx);
      }
    }
    const outs: (Tensor | undefined)[] = new Array(this.nodes.length);
    const remaining = new Map<Tensor, number>();
    try {
      // Plain loops, no closure per pass or per node: every unfused eager pass runs this (LeNet-5 b2, core's JavaScript
      // a pass with kernels that do nothing, bench/js-floor.ts: 10 -> 5.4 µs with the conv2d op's changes, s44).
      for (let i = 0; i < this.nodes.length; i++) {
        const node = this.nodes[i]!;
        const inputs: Tensor[] = new Array(node.inputs.length);
        for (let k = 0; k < inputs.length; k++) {
          const j = node.inputs[k]!;
          inputs[k] = j === MODEL_INPUT ? x : outs[j]!;
        }
        const y = node.layer.call(inputs, ctx);
        outs[i] = y;
        remaining.set(y, (remaining.get(y) ?? 0) + this.uses[i]!);
        for (let k = 0; k < node.inputs.length; k++) {
          const j = node.inputs[k]!;
          if (j === MODEL_INPUT) continue;
          const t = outs[j]!;
          const left = (remaining.get(t) ?? 0) - 1;
          remaining.set(t, left);
          if (left === 0 && t !== x) t.dispose();
        }
      }
    } catch (e) {
      for (const [t, left] of remaining) if (left > 0 && t !== x && !t.isDisposed) t.dispose();
      throw e;
    }
    return outs[this.nodes.length - 1]!;
  }

  /** Every parameter and buffer, in layer order (weight, bias, then buffers). */
  parameters(): ModelParameter[] {
    return [...this.params];
  }

  /** Trainable and non-trainable (buffer) value counts, without creating any tensor. */
  countParams(): { total: number; trainable: number; nonTrainable: number } {
    let trainable = 0;
    let nonTrainable = 0;
    for (const p of this.params) {
      if (p.trainable) trainable += p.size;
      else nonTrainable += p.size;
    }
    return { total: trainable + nonTrainable, trainable, nonTrainable };
  }

  summary(): string {
    const rows = this.nodes.map((n) => ({
      name: n.layer.name!,
      type: n.layer.type,
      outputShape: n.layer.outputShape,
      params: n.layer.countParams(true) + n.layer.countParams(false),
      inputs: n.inputs.map((j) => (j === MODEL_INPUT ? 'input' : this.nodes[j]!.layer.name!)),
    }));
    return formatSummary(this.name, this.inputShape, rows, this.countParams(), this.showConnections());
  }

  protected abstract showConnections(): boolean;
  abstract toJSON(): LayerConfig;

  /** Frees every parameter tensor (and the folded weights eager inference keeps); the model cannot run afterwards. */
  dispose(): void {
    this.fused?.dispose();
    for (const p of this.params) p.dispose();
  }

  /** @internal the model's input shape for each node's inputs. */
  nodeInputs(): { layer: Layer; inputs: string[] }[] {
    return this.nodes.map((n) => ({ layer: n.layer, inputs: n.inputs.map((j) => (j === MODEL_INPUT ? 'input' : this.nodes[j]!.layer.name!)) }));
  }
}

export interface SequentialOptions extends BuildOptions {
  /** Shape of one example, batch axis excluded: e.g. [1, 28, 28]. */
  inputShape: readonly number[];
}

/** A stack of single-input layers. */
export class Sequential extends LayerModel {
  constructor(layers: readonly Layer[], options: SequentialOptions) {
    const name = options?.name ?? 'sequential';
    const inputShape = checkShape(name, options?.inputShape);
    if (!Array.isArray(layers) || layers.length === 0) throw new ArgumentError(name, 'layers', layers, 'a non-empty array of layers');
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new ArgumentError(name, `layers[${i}]`, l, 'a Layer');
    });
    if (new Set(layers).size !== layers.length) throw new ArgumentError(name, 'layers', '(a layer listed twice)', 'distinct layer instances');
    assignNames(layers);
    let shape: Shape = inputShape;
    for (const l of layers) shape = l.build([shape]);
    super(name, inputShape, layers.map((layer, i) => ({ layer, inputs: [i - 1] })), options);
  }

  protected showConnections(): boolean {
    return false;
  }

  toJSON(): LayerConfig {
    return { type: 'Sequential', name: this.name, inputShape: [...this.inputShape], layers: this.nodes.map((n) => n.layer.toJSON()) };
  }
}

/** `new Sequential(layers, { inputShape, ... })` as a function. */
export function sequential(inputShape: readonly number[], layers: readonly Layer[], options: BuildOptions = {}): Sequential {
  return new Sequential(layers, { ...options, inputShape });
}

/** A symbolic value in a graph under construction: the model input or a layer's output. */
export interface GraphNode {
  /** 'input' or the layer's name. */
  readonly name: string;
  /** Output shape, batch axis excluded. */
  readonly shape: Shape;
  /** @internal */
  readonly index: number;
  /** @internal */
  readonly owner: GraphBuilder;
}

/**
 * Builds a directed acyclic graph of layers (residual and inception blocks): each `add` infers the
 * new node's shape at once, so a bad connection fails where it is made.
 */
export class GraphBuilder {
  readonly input: GraphNode;
  private readonly entries: { layer: Layer; inputs: number[]; node: GraphNode }[] = [];
  private readonly names = new Set<string>(['input']);
  private readonly counters = new Map<string, number>();
  private built = false;

  constructor(inputShape: readonly number[]) {
    this.input = Object.freeze({ name: 'input', shape: checkShape('graph', inputShape), index: MODEL_INPUT, owner: this });
  }

  /** Adds `layer` fed by `inputs` (one node, or several for Add / Concat); returns its output node. */
  add(layer: Layer, inputs: GraphNode | readonly GraphNode[]): GraphNode {
    if (this.built) throw new StridenetError('ARGUMENT', 'graph: add() after build()');
    if (!(layer instanceof Layer)) throw new ArgumentError('graph.add', 'layer', layer, 'a Layer');
    const list = Array.isArray(inputs) ? (inputs as readonly GraphNode[]) : [inputs as GraphNode];
    list.forEach((n, i) => {
      if (!n || n.owner !== this) throw new ArgumentError('graph.add', `inputs[${i}]`, n?.name ?? n, 'a node of this graph (g.input or a value returned by g.add)');
    });
    if (layer.name === undefined) {
      const base = snake(layer.type);
      let k = this.counters.get(base) ?? 0;
      let name: string;
      do name = `${base}_${++k}`;
      while (this.names.has(name));
      this.counters.set(base, k);
      layer.name = name;
    } else if (this.names.has(layer.name)) {
      throw new ArgumentError('graph.add', 'layer name', layer.name, 'a name not used by another node of this graph');
    }
    const shape = layer.build(list.map((n) => n.shape));
    this.names.add(layer.name);
    const node: GraphNode = Object.freeze({ name: layer.name, shape, index: this.entries.length, owner: this });
    this.entries.push({ layer, inputs: list.map((n) => n.index), node });
    return node;
  }

  /** The model computing `output`; layers that do not feed it are left out. */
  build(output: GraphNode, options: BuildOptions = {}): GraphModel {
    if (!output || output.owner !== this || output.index === MODEL_INPUT) {
      throw new ArgumentError('graph.build', 'output', output?.name ?? output, 'a node returned by add() on this graph');
    }
    const needed = new Set<number>();
    const visit = (i: number) => {
      if (i === MODEL_INPUT || needed.has(i)) return;
      needed.add(i);
      for (const j of this.entries[i]!.inputs) visit(j);
    };
    visit(output.index);
    const order = [...needed].sort((a, b) => a - b);
    const remap = new Map(order.map((old, i) => [old, i]));
    const nodes = order.map((old) => ({
      layer: this.entries[old]!.layer,
      inputs: this.entries[old]!.inputs.map((j) => (j === MODEL_INPUT ? MODEL_INPUT : remap.get(j)!)),
    }));
    this.built = true;
    return new GraphModel(options.name ?? 'graph', this.input.shape, nodes, options);
  }
}

/** Starts a graph model with one input of this shape (batch axis excluded). */
export function graph(inputShape: readonly number[]): GraphBuilder {
  return new GraphBuilder(inputShape);
}

/** A model over a DAG of layers; its last node is the output. */
export class GraphModel extends LayerModel {
  /** @internal use graph(...).build(...) */
  constructor(name: string, inputShape: Shape, nodes: readonly BuiltNode[], options: BuildOptions) {
    super(name, inputShape, nodes, options);
  }

  protected showConnections(): boolean {
    return true;
  }

  toJSON(): LayerConfig {
    return {
      type: 'Graph',
      name: this.name,
      inputShape: [...this.inputShape],
      nodes: this.nodeInputs().map(({ layer, inputs }) => ({ ...layer.toJSON(), inputs })),
      output: this.nodes[this.nodes.length - 1]!.layer.name,
    };
  }
}

/** Model JSON types modelFromJSON knows. */
export const MODEL_TYPES = Object.freeze(['Sequential', 'Graph']);

/** Rebuilds an architecture from toJSON() output with fresh weights (load saved weights separately). */
export function modelFromJSON(json: LayerConfig, options: BuildOptions = {}): LayerModel {
  if (json === null || typeof json !== 'object') throw new ArgumentError('modelFromJSON', 'json', json, 'an object from model.toJSON()');
  const name = options.name ?? (typeof json.name === 'string' ? json.name : undefined);
  if (json.type === 'Sequential') {
    if (!Array.isArray(json.layers)) throw new ArgumentError('modelFromJSON', 'layers', json.layers, 'an array of layer configs');
    return new Sequential((json.layers as LayerConfig[]).map(layerFromJSON), { ...options, name, inputShape: json.inputShape as number[] });
  }
  if (json.type === 'Graph') {
    if (!Array.isArray(json.nodes)) throw new ArgumentError('modelFromJSON', 'nodes', json.nodes, 'an array of layer configs with inputs');
    const g = graph(json.inputShape as number[]);
    const byName = new Map<string, GraphNode>([['input', g.input]]);
    for (const cfg of json.nodes as LayerConfig[]) {
      const inputs = cfg.inputs;
      if (!Array.isArray(inputs) || inputs.length === 0) {
        throw new ArgumentError('modelFromJSON', `inputs of node '${String(cfg.name)}'`, inputs, "a non-empty array of earlier node names or 'input'");
      }
      const nodes = inputs.map((n) => {
        const node = byName.get(n as string);
        if (!node) throw new ArgumentError('modelFromJSON', `input of node '${String(cfg.name)}'`, n, `'input' or an earlier node: ${[...byName.keys()].join(', ')}`);
        return node;
      });
      const out = g.add(layerFromJSON(cfg), nodes.length === 1 ? nodes[0]! : nodes);
      byName.set(out.name, out);
    }
    const output = byName.get(json.output as string);
    if (!output) throw new ArgumentError('modelFromJSON', 'output', json.output, `one of the node names ${[...byName.keys()].join(', ')}`);
    return g.build(output, { ...options, name });
  }
  throw new ArgumentError('modelFromJSON', 'type', json.type, `a known model type: ${MODEL_TYPES.join(', ')}`);
}
