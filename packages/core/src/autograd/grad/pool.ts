import { avgPool2dGrad, maxPool2dGrad } from '../../ops/index.js';
import type { GradRules } from '../rule.js';

export const poolGrads = {
  MaxPool2D: {
    saves: { inputs: [0] },
    backward: ([dy], node, { plan }) => [maxPool2dGrad(dy!, node.input(0), plan)],
  },
  AvgPool2D: {
    saves: {},
    backward: ([dy], _node, { plan }) => [avgPool2dGrad(dy!, plan)],
  },
} satisfies Pick<GradRules, 'MaxPool2D' | 'AvgPool2D'>;
