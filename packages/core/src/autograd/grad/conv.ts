import { biasAddGrad, conv2dBackpropFilter, conv2dBackpropInput } from '../../ops/index.js';
import type { GradRules } from '../rule.js';
import { productSaves, throughActivation } from './fused.js';

export const convGrads = {
  Conv2D: {
    saves: productSaves,
    backward([dy], node, { plan, activation }) {
      const g = throughActivation(dy!, node, activation);
      const [needX, needFilter, needBias, needResidual] = node.needs;
      return [
        needX ? conv2dBackpropInput(g, node.input(1), plan) : undefined,
        needFilter ? conv2dBackpropFilter(node.input(0), g, plan) : undefined,
        needBias ? biasAddGrad(g) : undefined,
        // The residual is added as is: its gradient is the pre-activation gradient.
        needResidual ? g : undefined,
      ];
    },
  },
} satisfies Pick<GradRules, 'Conv2D'>;
