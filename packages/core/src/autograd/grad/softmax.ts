import { engine } from '../../engine.js';
import { exp, mul, sub, sum } from '../../ops/index.js';
import type { GradRules } from '../rule.js';

export const softmaxGrads = {
  Softmax: {
    saves: { outputs: [0] },
    backward([dy], node, { log }) {
      const y = node.output(0);
      return log ? [sub(dy!, mul(exp(y), sum(dy!, -1, true)))] : [mul(y, sub(dy!, sum(mul(dy!, y), -1, true)))];
    },
  },
  SoftmaxCrossEntropy: {
    saves: { inputs: [0, 1] },
    backward([dloss], node, { plan }) {
      const logits = node.input(0);
      const [g] = engine.runKernel('SoftmaxCrossEntropyGrad', { dloss: dloss!, logits, labels: node.input(1) }, { plan }, [logits.shape]);
      return [g, undefined];
    },
  },
} satisfies Pick<GradRules, 'Softmax' | 'SoftmaxCrossEntropy'>;
