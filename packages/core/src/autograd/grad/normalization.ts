import { engine } from '../../engine.js';
import { addScalar, div, mul, reshape, sqrt, sub, sum } from '../../ops/index.js';
import type { GradRules } from '../rule.js';
import { throughActivation } from './fused.js';

export const normalizationGrads = {
  BatchNormTrain: {
    // x and gamma for dx; the batch statistics; y where a fused relu masks dy.
    saves: ({ activation }) => ({ inputs: [0, 1], outputs: activation === 'relu' ? [0, 1, 2] : [1, 2] }),
    backward([dy], node, { plan, epsilon, activation }) {
      // Gradients reaching the returned batch statistics are not propagated (they feed running statistics only).
      if (!dy) return [undefined, undefined, undefined, undefined];
      const x = node.input(0);
      const channels = node.outputShapes[1]!;
      const stats = { x, gamma: node.input(1), mean: node.output(1), variance: node.output(2) };
      const needResidual = node.needs[3] === true;
      if (activation === 'relu' && !needResidual) {
        // The relu mask is applied inside BatchNormGrad: no pass of its own.
        return engine.runKernel('BatchNormGrad', { dy, ...stats, y: node.output(0) }, { plan, epsilon, activation }, [x.shape, channels, channels]);
      }
      // The residual's gradient is the pre-activation gradient: computed once, read by BatchNormGrad.
      const g = throughActivation(dy, node, activation);
      const grads = engine.runKernel('BatchNormGrad', { dy: g, ...stats }, { plan, epsilon, activation: 'linear' }, [x.shape, channels, channels]);
      return [...grads, needResidual ? g : undefined];
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
