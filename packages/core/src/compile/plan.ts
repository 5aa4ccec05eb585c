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

export interface ExecutionPlan {
  readonly steps: readonly Step[];
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
 * `optimize: false` it is the eager schedule (every layer its own step), which is what
 * LayerModel.forward runs; the memory profile compares the two. `fuseResidual: false` keeps residual
 * Adds (and the ReLUs after them) as their own steps.
 */
export function planInference(nodes: readonly PlanNode[], optimize = true, fuseResidual = true): ExecutionPlan {
  const last = nodes.length - 1;
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => n.inputs.forEach((j) => j !== INPUT_VALUE && consumers[j]!.push(i)));
  /** The node that alone reads node i's output, if any (the model output has an outside reader). */
  const soleConsumer = (i: number): number | undefined => (i !== last && consumers[i]!.length === 1 ? consumers[i]![0] : undefined);
  const value = nodes.map((_, i) => i);
  const absorbed = new Set<number>();
  const steps: Step[] = [];
  const rewrites: string[] = [];
  const eager: string[] = [];
  nodes.forEach((node, i) => {
    if (absorbed.has(i)) return;
    const { layer } = node;
    const inputs = node.inputs.map((j) => (j === INPUT_VALUE ? j : value[j]!));
    if (!optimize) {
      steps.push({ kind: 'layer', layer, inputs, output: i });
      return;
    }
    if (layer instanceof Dropout) {
      value[i] = inputs[0]!;
      rewrites.push(`${layer.describe()}: removed (identity in inference)`);
      return;
    }
    if (layer instanceof Conv2D || layer instanceof Dense) {
      let out = i;
      let batchNorm: BatchNorm1D | BatchNorm2D | undefined;
      let activation = layer.activation;
      const bnNode = soleConsumer(out);
      const bn = bnNode === undefined ? undefined : nodes[bnNode]!.layer;
      const bnFits = layer instanceof Conv2D ? bn instanceof BatchNorm2D : bn instanceof BatchNorm1D && bn.inputShapes[0]!.length === 1;
      if (activation === 'linear' && bnFits) {
        batchNorm = bn as BatchNorm1D | BatchNorm2D;
        out = bnNode!;
        absorbed.add(out);
        rewrites.push(`${batchNorm.describe()}: folded into ${layer.describe()}`);
      }
      let residual: number | undefined;
      const addNode = fuseResidual && layer instanceof Conv2D && activation === 'linear' ? soleConsumer(out) : undefined;
      const add = addNode === undefined ? undefined : nodes[addNode]!;
      if (add?.layer instanceof Add && add.inputs.length === 2) {
        const other = add.inputs[0] === out ? add.inputs[1]! : add.inputs[0]!;
        // The other operand must exist when this step runs: the model input or a value made earlier. (When
        // the shortcut comes later, the Add fuses into the shortcut's own conv instead, if that one fits.)
        if (other !== out && (other === INPUT_VALUE || other < i)) {
          residual = other === INPUT_VALUE ? other : value[other]!;
          absorbed.add(addNode!);
          rewrites.push(`${add.layer.describe()}: fused into the epilogue of ${layer.describe()} as its residual`);
          out = addNode!;
        }
      }
      const reluNode = soleConsumer(out);
      if (activation === 'linear' && reluNode !== undefined && nodes[reluNode]!.layer instanceof ReLU) {
        activation = 'relu';
        absorbed.add(reluNode);
        rewrites.push(`${nodes[reluNode]!.layer.describe()}: fused into the epilogue of ${layer.describe()}`);
        out = reluNode;
      }
      if (out !== i) {
        value[out] = out;
        steps.push({ kind: 'fused', layer, batchNorm, activation, input: inputs[0]!, ...(residual === undefined ? {} : { residual }), output: out });
        return;
      }
    }
    if (!BUILT_IN.some((c) => layer instanceof c)) eager.push(`${layer.describe()}: no compiled form for this layer type; it runs its own forward pass`);
    steps.push({ kind: 'layer', layer, inputs, output: i });
  });
  const output = value[last]!;
  return { steps, freeAfter: liveness(steps, output), output, rewrites, eager };
}

/** The values a step reads. */
export function stepInputs(s: Step): readonly number[] {
  if (s.kind === 'layer') return s.inputs;
  return s.residual === undefined ? [s.input] : [s.input, s.residual];
}

/** For each step, the values it is the last reader of (the output and the model input are never freed). */
function liveness(steps: readonly Step[], output: number): number[][] {
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
