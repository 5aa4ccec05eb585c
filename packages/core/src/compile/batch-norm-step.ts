import type { Tensor } from '../engine.js';
import type { FusedActivation } from '../spec/index.js';
import { add, relu } from '../ops/elementwise.js';
import type { BatchNorm1D, BatchNorm2D } from '../layers/index.js';
import type { ForwardContext } from '../models/types.js';

/**
 * act(batchNorm(x) + residual) in training mode, through the layer (batch statistics, running statistics
 * updated as the layer does), then the residual add and the activation, each recorded on the tape.
 */
export function batchNormStep(layer: BatchNorm1D | BatchNorm2D, x: Tensor, residual: Tensor | undefined, activation: FusedActivation, ctx: ForwardContext): Tensor {
  let y = layer.call([x], ctx);
  if (residual !== undefined) {
    const sum = add(y, residual);
    y.dispose();
    y = sum;
  }
  if (activation === 'relu') {
    const r = relu(y);
    y.dispose();
    y = r;
  }
  return y;
}
