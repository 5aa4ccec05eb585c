import type { Tensor } from '../engine.js';
import type { FusedActivation } from '../spec/index.js';
import { BatchNorm1D, BatchNorm2D, Conv2D, Dense } from '../layers/index.js';
import type { ForwardContext } from '../models/types.js';
import { conv2d } from '../ops/conv.js';
import { matMul } from '../ops/matmul.js';
import { PlanWalk, runSteps, type ExecutionPlan, type FusedStep, type LayerStep, type PlanNode } from './plan.js';

/**
 * A layer that trains with an Add and / or a ReLU after it folded into one op with autograd:
 * act(layer(x) + residual). Conv2D and Dense take them in their kernel epilogue; batch norm in
 * training normalises with batch statistics, updates the running ones, then adds and activates.
 */
export interface TrainingFusedStep extends Omit<FusedStep, 'layer' | 'batchNorm'> {
  readonly layer: Conv2D | Dense | BatchNorm1D | BatchNorm2D;
}

export type TrainingStep = TrainingFusedStep | LayerStep;

/** freeAfter releases values after their last reader (the tape keeps what backward needs); nothing is folded. */
export type TrainingPlan = ExecutionPlan<TrainingStep>;

/**
 * Plans a training forward pass: each Conv2D / Dense without a fused activation, and each batch norm,
 * absorbs the ReLU that alone reads it, and (Conv2D and batch norm) a two-input Add before that ReLU whose
 * other operand already exists: ResNet's relu(bn(conv(x)) + shortcut) becomes one step. Nothing is folded
 * (weights change every step) and dropout stays. Steps keep the model's layer order, so dropout draws the
 * same masks as the eager pass. `fuseResidual: false` leaves the Adds (and the ReLUs after them) as they are.
 */
export function planTraining(nodes: readonly PlanNode[], fuseResidual = true): TrainingPlan {
  const walk = new PlanWalk<TrainingFusedStep>(nodes);
  return walk.plan((node, i, inputs) => {
    const { layer } = node;
    const isNorm = layer instanceof BatchNorm1D || layer instanceof BatchNorm2D;
    if (isNorm || ((layer instanceof Conv2D || layer instanceof Dense) && layer.activation === 'linear')) {
      let out = i;
      const fusedAdd = fuseResidual && !(layer instanceof Dense) ? walk.residualAdd(out, i) : undefined;
      if (fusedAdd) out = walk.absorb(fusedAdd.node, `${nodes[fusedAdd.node]!.layer.describe()}: fused into ${layer.describe()} as its residual`);
      const reluNode = walk.reluAfter(out);
      if (reluNode !== undefined) out = walk.absorb(reluNode, `${nodes[reluNode]!.layer.describe()}: fused into ${layer.describe()}`);
      const activation: FusedActivation = reluNode === undefined ? 'linear' : 'relu';
      if (out !== i) return walk.fused({ kind: 'fused', layer, activation, input: inputs[0]!, ...(fusedAdd ? { residual: fusedAdd.residual } : {}), output: out });
    }
    return walk.layerStep(layer, inputs, i);
  });
}

/** One fused op on the tape: the layer's kernel with the residual and activation in its epilogue. */
export function runTrainingFused(step: TrainingFusedStep, x: Tensor, residual: Tensor | undefined): Tensor {
  const { layer, activation } = step;
  if (layer instanceof Conv2D || layer instanceof Dense) {
    const weight = layer.param('weight').value;
    const bias = layer.useBias ? layer.param('bias').value : undefined;
    if (layer instanceof Dense) return matMul(x, weight, { transposeB: true, bias, activation });
    const geometry = { stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups };
    return conv2d(x, weight, { ...geometry, bias, residual, activation });
  }
  return layer.trainForward(x, { residual, activation });
}

/**
 * Runs a training plan's steps on x (training mode): fused steps as one op each, every other layer through its own
 * call, each value freed after its last reader (the tape keeps what backward needs); the model input is never freed.
 */
export function runTrainingPlan(plan: TrainingPlan, x: Tensor, ctx: ForwardContext): Tensor {
  return runSteps(plan, x, (step, values) => {
    if (step.kind === 'layer') return step.layer.call(step.inputs.map((v) => values.get(v)!), ctx);
    return runTrainingFused(step, values.get(step.input)!, step.residual === undefined ? undefined : values.get(step.residual)!);
  });
}
