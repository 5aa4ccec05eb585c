import { engine } from '../../engine.js';
import type { GradRules } from '../rule.js';

export const dropoutGrads = {
  Dropout: {
    // The same mask scales the gradient.
    saves: { inputs: [1] },
    backward: ([dy], node, attrs) => [engine.runKernel('Dropout', { x: dy!, noise: node.input(1) }, attrs, [dy!.shape])[0], undefined],
  },
} satisfies Pick<GradRules, 'Dropout'>;
