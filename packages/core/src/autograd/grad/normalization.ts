import { engine } from '../../engine.js';
import { addScalar, div, mul, reshape, sqrt, sub, sum } from '../../ops/index.js';
import type { GradRules } from '../rule.js';

export const normalizationGrads = {
  BatchNormTrain: {
    saves: { inputs: [0, 1], outputs: [1, 2] },
    backward([dy], node, { plan, epsilon }) {
      // Gradients reaching the returned batch statistics are not propagated (they feed running statistics only).
      if (!dy) return [undefined, undefined, undefined];
      const x = node.input(0);
      const channels = node.outputShapes[1]!;
      const inputs = { dy, x, gamma: node.input(1), mean: node.output(1), variance: node.output(2) };
      return engine.runKernel('BatchNormGrad', inputs, { plan, epsilon }, [x.shape, channels, channels]);
    },
  },
  BatchNormInference: {
    saves: { inputs: [0, 1, 3, 4] },
    backward([dy], node, { epsilon }) {
      // Statistics are constants here: y = (x - mean) * gamma / sqrt(var + eps) + beta.
      const x = node.input(0);
      const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
      const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
      const std = sqrt(addScalar(reshape(node.input(4), bshape), epsilon));
      const invStd = div(reshape(node.input(1), bshape), std);
      const xhat = div(sub(x, reshape(node.input(3), bshape)), std);
      return [mul(dy!, invStd), sum(mul(dy!, xhat), axes), sum(dy!, axes), undefined, undefined];
    },
  },
} satisfies Pick<GradRules, 'BatchNormTrain' | 'BatchNormInference'>;
