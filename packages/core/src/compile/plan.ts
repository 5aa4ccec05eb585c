import type { Tensor } from '../engine.js';
import type { FusedActivation } from '../spec/index.js';
import {
  AdaptiveAvgPool2D, Add, AvgPool1D, AvgPool2D, BatchNorm1D, BatchNorm2D, Concat, Conv1D, Conv2D, Dense, Dropout, ELU, Flatten, GlobalAvgPool1D,
  GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, Layer, LeakyReLU, MaxPool1D, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh,
} from '../layers/index.js';

/** Value id of the model input; every other value is the index of the node that produced it. */
export const INPUT_VALUE = -1;

/** One node of a built model: its layer and the indices of its producers (INPUT_VALUE for the input). */
export interface PlanNode {
  readonly layer: Layer;
  readonly inputs: readonly number[];
}

/**
 * A Conv2D or Dense with batch norm folded in, a residual Add (Conv2D only) and / or a ReLU fused into its
 * epilogue: act(conv(x) + b + residual).
 */
export interface FusedStep {
  readonly kind: 'fused';
  readonly layer: Conv2D | Dense;
  readonly batchNorm: BatchNorm1D | BatchNorm2D | undefined;
  readonly activation: FusedActivation;
  readonly input: number;
  /** The value added before the activation (the other operand of a two-input Add), if any. */
  readonly residual?: number;
  readonly output: number;
}

/** A layer run through its own forward pass (inference mode). */
export interface LayerStep {
  readonly kind: 'layer';
  readonly layer: Layer;
  readonly inputs: readonly number[];
  readonly output: number;
}

export type Step = FusedStep | LayerStep;

/** A planned pass: inference steps by default; compiled training plans hold TrainingSteps. */
export interface ExecutionPlan<S = Step> {
  readonly steps: readonly S[];
  /** Values whose last reader is step i, freed right after it runs. */
  readonly freeAfter: readonly (readonly number[])[];
  readonly output: number;
  /** What was folded, fused or removed, one line each. */
  readonly rewrites: readonly string[];
  /** Layers left as they are with no compiled form, with the reason. */
  readonly eager: readonly string[];
}

/** Layers whose own inference forward pass is already the compiled form (one kernel or a view). */
const BUILT_IN: readonly (abstract new (...args: never[]) => Layer)[] = [
  Conv1D, Conv2D, Dense, Flatten, ReLU, LeakyReLU, ELU, Tanh, Sigmoid, Softmax, Dropout, BatchNorm1D, BatchNorm2D, Add, Concat,
  MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, AdaptiveAvgPool2D,
];

/**
 * Rewrites the node list of a model for inference and plans when each value dies. With
 * `optimize: false` it is the layer-by-layer schedule (every layer its own step), which is what
 * LayerModel.forward runs when a tape records or `fuse` is false (untaped eager inference runs the
 * optimized schedule: models/inference-fusion.ts); the memory profile compares the two. `fuseResidual: false` keeps residual
 * Adds (and the ReLUs after them) as their own steps.
 */
export function planInference(nodes: readonly PlanNode[], optimize = true, fuseResidual = true): ExecutionPlan {
  const walk = new PlanWalk<FusedStep>(nodes);
  return walk.plan((node, i, inputs) => {
    const { layer } = node;
    if (!optimize) return walk.steps.push({ kind: 'layer', layer, inputs, output: i });
    if (layer instanceof Dropout) {
      walk.value[i] = inputs[0]!;
      return walk.rewrites.push(`${layer.describe()}: removed (identity in inference)`);
    }
    if (layer instanceof Conv2D || layer instanceof Dense) {
      let out = i;
      let batchNorm: BatchNorm1D | BatchNorm2D | undefined;
      let activation = layer.activation;
      const bnNode = walk.soleConsumer(out);
      const bn = bnNode === undefined ? undefined : nodes[bnNode]!.layer;
      const bnFits = layer instanceof Conv2D ? bn instanceof BatchNorm2D : bn instanceof BatchNorm1D && bn.inputShapes[0]!.length === 1;
      if (activation === 'linear' && bnFits) {
        batchNorm = bn as BatchNorm1D | BatchNorm2D;
        out = walk.absorb(bnNode!, `${batchNorm.describe()}: folded into ${layer.describe()}`);
      }
      const fusedAdd = fuseResidual && layer instanceof Conv2D && activation === 'linear' ? walk.residualAdd(out, i) : undefined;
      if (fusedAdd) out = walk.absorb(fusedAdd.node, `${nodes[fusedAdd.node]!.layer.describe()}: fused into the epilogue of ${layer.describe()} as its residual`);
      const reluNode = activation === 'linear' ? walk.reluAfter(out) : undefined;
      if (reluNode !== undefined) {
        activation = 'relu';
        out = walk.absorb(reluNode, `${nodes[reluNode]!.layer.describe()}: fused into the epilogue of ${layer.describe()}`);
      }
      if (out !== i) return walk.fused({ kind: 'fused', layer, batchNorm, activation, input: inputs[0]!, ...(fusedAdd ? { residual: fusedAdd.residual } : {}), output: out });
    }
    return walk.layerStep(layer, inputs, i);
  });
}

/** One planning pass over a model's nodes in order: the bookkeeping the inference and training planners share. */
export class PlanWalk<F extends FusedStepValues> {
  /** The node that alone reads node i's output, if any (the model output has an outside reader). */
  readonly soleConsumer: (i: number) => number | undefined;
  /** The value that holds each node's output (a removed layer's is its input's). */
  readonly value: number[];
  readonly steps: (F | LayerStep)[] = [];
  readonly rewrites: string[] = [];
  private readonly eager: string[] = [];
  private readonly absorbed = new Set<number>();

  constructor(readonly nodes: readonly PlanNode[]) {
    this.soleConsumer = soleConsumers(nodes);
    this.value = nodes.map((_, i) => i);
  }

  /** Node n runs inside the step being planned (why: `rewrite`); returns n, the step's output so far. */
  absorb(n: number, rewrite: string): number {
    this.absorbed.add(n);
    this.rewrites.push(rewrite);
    return n;
  }

  /** The residual Add that may join the step planned at node `at` whose output so far is node `out` (see residualAdd). */
  residualAdd(out: number, at: number): { node: number; residual: number } | undefined {
    return residualAdd(this.nodes, this.soleConsumer, out, at, this.value);
  }

  /** The ReLU node that alone reads node `out`, if any. */
  reluAfter(out: number): number | undefined {
    const n = this.soleConsumer(out);
    return n !== undefined && this.nodes[n]!.layer instanceof ReLU ? n : undefined;
  }

  fused(step: F): void {
    this.value[step.output] = step.output;
    this.steps.push(step);
  }

  /** A layer run through its own forward pass; a layer type no planner knows is listed with the reason. */
  layerStep(layer: Layer, inputs: readonly number[], output: number): void {
    if (!BUILT_IN.some((c) => layer instanceof c)) this.eager.push(`${layer.describe()}: no compiled form for this layer type; it runs its own forward pass`);
    this.steps.push({ kind: 'layer', layer, inputs, output });
  }

  /** Visits every node not absorbed by an earlier step, with its inputs as values, then plans liveness. */
  plan(visit: (node: PlanNode, i: number, inputs: number[]) => unknown): ExecutionPlan<F | LayerStep> {
    this.nodes.forEach((node, i) => {
      if (!this.absorbed.has(i)) visit(node, i, node.inputs.map((j) => (j === INPUT_VALUE ? j : this.value[j]!)));
    });
    const output = this.value[this.nodes.length - 1]!;
    return { steps: this.steps, freeAfter: liveness(this.steps, output), output, rewrites: this.rewrites, eager: this.eager };
  }
}

/** For each node, the node that alone reads its output, if any (the model output has an outside reader). */
function soleConsumers(nodes: readonly PlanNode[]): (i: number) => number | undefined {
  const last = nodes.length - 1;
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => n.inputs.forEach((j) => j !== INPUT_VALUE && consumers[j]!.push(i)));
  return (i) => (i !== last && consumers[i]!.length === 1 ? consumers[i]![0] : undefined);
}

/**
 * The two-input Add that alone reads node `out` (made by the step planned at node `at`), if its other
 * operand exists when that step runs: the model input or a value made earlier. (When the shortcut comes
 * later, the Add fuses into the shortcut's own step instead, if that one fits.) `value` maps nodes to the
 * values that hold their outputs; `residual` is the other operand's value.
 */
function residualAdd(
  nodes: readonly PlanNode[],
  soleConsumer: (i: number) => number | undefined,
  out: number,
  at: number,
  value: readonly number[],
): { node: number; residual: number } | undefined {
  const node = soleConsumer(out);
  const add = node === undefined ? undefined : nodes[node]!;
  if (!(add?.layer instanceof Add) || add.inputs.length !== 2) return undefined;
  const other = add.inputs[0] === out ? add.inputs[1]! : add.inputs[0]!;
  if (other === out || (other !== INPUT_VALUE && other >= at)) return undefined;
  return { node: node!, residual: other === INPUT_VALUE ? other : value[other]! };
}

/** What liveness reads of a fused step (inference and training steps alike). */
type FusedStepValues = { readonly kind: 'fused'; readonly input: number; readonly residual?: number; readonly output: number };
type StepValues = { readonly kind: 'layer'; readonly inputs: readonly number[]; readonly output: number } | FusedStepValues;

/** The values a step reads. */
export function stepInputs(s: StepValues): readonly number[] {
  if (s.kind === 'layer') return s.inputs;
  return s.residual === undefined ? [s.input] : [s.input, s.residual];
}

/** For each step, the values it is the last reader of (the output and the model input are never freed). */
function liveness(steps: readonly StepValues[], output: number): number[][] {
  const lastRead = new Map<number, number>();
  steps.forEach((s, k) => {
    for (const v of stepInputs(s)) lastRead.set(v, k);
  });
  const freeAfter: number[][] = steps.map(() => []);
  steps.forEach((s, k) => {
    // A value nobody reads dies where it is made.
    if (!lastRead.has(s.output) && s.output !== output) freeAfter[k]!.push(s.output);
  });
  for (const [v, k] of lastRead) if (v !== INPUT_VALUE && v !== output) freeAfter[k]!.push(v);
  return freeAfter;
}

/** Whether another live value is the same tensor (a layer that returned its input); no array built per release. */
function holds(values: ReadonlyMap<number, Tensor>, t: Tensor): boolean {
  for (const u of values.values()) if (u === t) return true;
  return false;
}

/**
 * Runs a plan's steps on x in order (`run` gets each step and the values made so far) and returns the plan's
 * output, freeing each value after its last reader. A layer may hand its input on as its output (a view or
 * identity): a tensor several values hold is freed once, with the last. The model input is never freed; when
 * a step throws, every value made so far is.
 */
export function runSteps<S extends { readonly output: number }>(plan: ExecutionPlan<S>, x: Tensor, run: (step: S, values: ReadonlyMap<number, Tensor>) => Tensor): Tensor {
  const values = new Map<number, Tensor>([[INPUT_VALUE, x]]);
  try {
    // Loops rather than forEach and a release closure: this runs every eager inference pass (s44).
    for (let k = 0; k < plan.steps.length; k++) {
      const step = plan.steps[k]!;
      values.set(step.output, run(step, values));
      const free = plan.freeAfter[k]!;
      for (let i = 0; i < free.length; i++) {
        const t = values.get(free[i]!)!;
        values.delete(free[i]!);
        if (t !== x && !holds(values, t)) t.dispose();
      }
    }
  } catch (e) {
    for (const t of new Set(values.values())) if (t !== x) t.dispose();
    throw e;
  }
  return values.get(plan.output)!;
}
