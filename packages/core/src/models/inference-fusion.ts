/**
 * Eager inference fusion: when no tape records a model's forward pass and it does not train, chains the
 * compiled planner fuses (Conv2D -> BatchNorm -> [Add] -> [ReLU], Dense -> BatchNorm1D -> [ReLU], a ReLU after
 * a linear Conv2D / Dense) run as one Conv2D / MatMul kernel with the epilogue those kernels take
 * (bias, residual, activation), and inference Dropout is skipped.
 *
 * Batch norm is folded on the backend (two BatchNormInference calls on the small filter and bias tensors) and the
 * folded pair is kept for the next pass while every tensor it was made from is still the parameter's value with the
 * same count of in-place writes (Tensor.writes: optimizer steps, running statistics): weights replaced by loading or
 * updated by training are folded again before they are used. Folding on every pass instead gave back about two
 * thirds of the fusion's gain on native (ResNet-20 b64: new filter buffers are packed again on every call).
 */
import { keep, type Tensor } from '../engine.js';
import type { ModelParameter } from '../layers/layer.js';
import { Add, BatchNorm1D, BatchNorm2D, Conv2D, Dense, Dropout, ReLU, type Layer } from '../layers/index.js';
import { conv2d } from '../ops/conv.js';
import { zeros } from '../ops/create.js';
import { reshape } from '../ops/layout.js';
import { matMul } from '../ops/matmul.js';
import { batchNorm } from '../ops/normalization.js';
import { planInference, runSteps, type ExecutionPlan, type FusedStep, type PlanNode } from '../compile/plan.js';
import type { ForwardContext } from './types.js';

/** A fused step's weights and the parameter tensors (with their write counts) they were folded from. */
interface Folded {
  weight: Tensor;
  bias: Tensor | undefined;
  sources: { param: ModelParameter; tensor: Tensor; writes: number }[];
}

/** A model's fused inference schedule and the folded weights it keeps between passes. */
export class EagerInference {
  private readonly folded = new Map<FusedStep, Folded>();

  private constructor(readonly plan: ExecutionPlan) {}

  /**
   * The fused schedule of a model's nodes, or undefined when it fuses nothing (the layer-by-layer pass is the same)
   * or when a layer of a kind the planner fuses or removes comes from a subclass with its own forward pass, which
   * the fused kernels would skip.
   */
  static plan(nodes: readonly PlanNode[]): EagerInference | undefined {
    if (nodes.some(({ layer }) => ownsForward(layer))) return undefined;
    const plan = planInference(nodes);
    return plan.steps.some((s) => s.kind === 'fused') ? new EagerInference(plan) : undefined;
  }

  /**
   * Runs the schedule on x: fused steps as one kernel each, every other layer through its own inference forward
   * pass, each value freed right after its last reader. The model input is never freed.
   */
  run(x: Tensor, ctx: ForwardContext): Tensor {
    return runSteps(this.plan, x, (step, values) => this.runStep(step, values, ctx));
  }

  /**
   * One step, with no closure or mapped array per step: with runSteps' loops, core's JavaScript a ResNet-20 b1 pass
   * went 55 -> 20 µs (bench/js-floor.ts, tsx source build, EMR host, s44; per-call closures were a third of it).
   */
  private runStep(step: ExecutionPlan['steps'][number], values: ReadonlyMap<number, Tensor>, ctx: ForwardContext): Tensor {
    if (step.kind === 'layer') {
      const inputs: Tensor[] = new Array(step.inputs.length);
      for (let i = 0; i < inputs.length; i++) inputs[i] = values.get(step.inputs[i]!)!;
      return step.layer.call(inputs, ctx);
    }
    return this.runFused(step, values.get(step.input)!, step.residual === undefined ? undefined : values.get(step.residual)!);
  }

  /** Frees the folded weights (the model's dispose(), and a training or recorded pass: the weights are about to change). */
  dispose(): void {
    for (const f of this.folded.values()) this.drop(f);
    this.folded.clear();
  }

  private runFused(step: FusedStep, x: Tensor, residual: Tensor | undefined): Tensor {
    const { layer, activation } = step;
    const { weight, bias } = step.batchNorm === undefined ? layerWeights(step) : this.foldedFor(step);
    if (layer instanceof Conv2D) {
      return conv2d(x, weight, { stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups, bias, residual, activation });
    }
    return matMul(x, weight, { transposeB: true, bias, activation });
  }

  /** The step's folded weights, folded again when a source parameter was replaced or written since. */
  private foldedFor(step: FusedStep): Folded {
    const kept = this.folded.get(step);
    if (kept !== undefined && fresh(kept)) return kept;
    if (kept !== undefined) this.drop(kept);
    this.folded.delete(step);
    const f = fold(step);
    this.folded.set(step, f);
    return f;
  }

  private drop(f: Folded): void {
    f.weight.dispose();
    f.bias?.dispose();
  }
}

/** Whether folded weights are still those of their source parameters (same tensors, no in-place write since). */
function fresh(f: Folded): boolean {
  if (f.weight.isDisposed || f.bias?.isDisposed) return false;
  for (const { param, tensor, writes } of f.sources) if (param.value !== tensor || tensor.writes !== writes) return false;
  return true;
}

/** The layer kinds the planner fuses or removes. */
const PLANNED: readonly (abstract new (...args: never[]) => Layer)[] = [Conv2D, Dense, BatchNorm1D, BatchNorm2D, ReLU, Add, Dropout];

/** True when a layer of a kind the planners fuse or remove comes from a subclass with its own forward pass. */
export function ownsForward(layer: Layer): boolean {
  return PLANNED.some((kind) => layer instanceof kind && layer.call !== kind.prototype.call);
}

function layerWeights(step: FusedStep): { weight: Tensor; bias: Tensor | undefined } {
  const { layer } = step;
  return { weight: layer.param('weight').value, bias: layer.useBias ? layer.param('bias').value : undefined };
}

/**
 * Weight and bias of a fused step with its batch norm folded in: W'[o] = W[o] * s[o], b' = (b - mean) * s + beta,
 * s = gamma / sqrt(var + eps), computed by the backend's BatchNormInference on the weight seen as [1, O, rest]
 * (mean and beta zero) and on the bias as [1, O]. The two results outlive any tidy scope; they never change, so
 * the backend may prepare them once (markConstant).
 */
function fold(step: FusedStep): Folded {
  const { layer } = step;
  const bn = step.batchNorm!;
  const params = [layer.param('weight'), ...(layer.useBias ? [layer.param('bias')] : [])];
  const [gamma, beta, mean, variance] = (['weight', 'bias', 'runningMean', 'runningVar'] as const).map((n) => bn.param(n));
  const sources = [...params, gamma!, beta!, mean!, variance!].map((param) => ({ param, tensor: param.value, writes: param.value.writes }));
  const { weight, bias } = layerWeights(step);
  const o = weight.shape[0]!;
  const epsilon = bn.epsilon;
  const made: Tensor[] = [];
  const temp = (t: Tensor) => (made.push(t), t);
  try {
    const zero = temp(zeros([o], weight.backend));
    const stats = { training: false as const, variance: variance!.value, epsilon };
    const scaled = temp(batchNorm(temp(reshape(weight, [1, o, weight.size / o])), gamma!.value, zero, { ...stats, mean: zero }).y);
    const shifted = temp(batchNorm(temp(reshape(bias ?? zero, [1, o])), gamma!.value, beta!.value, { ...stats, mean: mean!.value }).y);
    const owned = (t: Tensor, shape: readonly number[]) => {
      const r = keep(reshape(t, shape));
      r.backend.markConstant?.(r.handle);
      return r;
    };
    return { weight: owned(scaled, weight.shape), bias: owned(shifted, [o]), sources };
  } finally {
    for (const t of made) t.dispose();
  }
}
