import { avgPool2dGrad, maxPool2dGrad, maxPool2dGradArgmax } from '../../ops/index.js';
import type { GradRules } from '../rule.js';

export const poolGrads = {
  MaxPool2D: {
    saves: { inputs: [0] },
    backward: ([dy], node, { plan }) => [maxPool2dGrad(dy!, node.input(0), plan)],
  },
  // Outputs [y, argmax]: the gradient flows from y; argmax (the selected taps) is what the backward reads.
  MaxPool2DArgmax: {
    saves: { outputs: [1] },
    backward: ([dy], node, { plan }) => [maxPool2dGradArgmax(dy!, node.output(1), plan)],
  },
  AvgPool2D: {
    saves: {},
    backward: ([dy], _node, { plan }) => [avgPool2dGrad(dy!, plan)],
  },
} satisfies Pick<GradRules, 'MaxPool2D' | 'MaxPool2DArgmax' | 'AvgPool2D'>;
