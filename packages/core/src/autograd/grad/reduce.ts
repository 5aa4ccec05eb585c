import { broadcastTo, equal, mul, mulScalar, reshape } from '../../ops/index.js';
import type { GradRules } from '../rule.js';

export const reduceGrads = {
  reduce: {
    saves: ({ op }) => (op === 'max' ? { inputs: [0], outputs: [0] } : {}),
    backward([dy], node, { op, keptShape, count }) {
      const xShape = node.inputShapes[0]!;
      const g = broadcastTo(reshape(dy!, keptShape), xShape);
      if (op === 'sum') return [g];
      if (op === 'mean') return [mulScalar(g, 1 / count)];
      // max: the gradient goes to every position equal to the maximum.
      const mask = equal(node.input(0), broadcastTo(reshape(node.output(0), keptShape), xShape));
      return [mul(g, mask)];
    },
  },
} satisfies Pick<GradRules, 'reduce'>;
