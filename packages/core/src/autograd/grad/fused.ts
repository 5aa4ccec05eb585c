import type { Tensor } from '../../engine.js';
import { unaryGrad } from '../../ops/index.js';
import type { FusedActivation } from '../../spec/index.js';
import type { GradNode, SaveSpec } from '../rule.js';

/**
 * Saves of a two-operand product with a fused activation (Conv2D, MatMul): each operand's gradient
 * reads the other operand, a fused relu reads y.
 */
export function productSaves({ activation }: { activation: FusedActivation }, needs: readonly boolean[]): SaveSpec {
  return {
    inputs: [...(needs[0] ? [1] : []), ...(needs[1] ? [0] : [])],
    outputs: activation === 'relu' ? [0] : [],
  };
}

/** dy through the fused activation: the gradient of the pre-activation sum. */
export function throughActivation(dy: Tensor, node: GradNode, activation: FusedActivation): Tensor {
  return activation === 'relu' ? unaryGrad('relu', dy, node.output(0), node.output(0)) : dy;
}
