import type { Tensor } from '../../engine.js';
import { biasAddGrad, div, equal, mul, neg, reduceTo, scalar, sub, unaryGrad } from '../../ops/index.js';
import type { GradNode, GradRules } from '../rule.js';

/** dy routed to a where the min/max took a's value, to b elsewhere. */
function minMaxGrad(dy: Tensor, node: GradNode): (Tensor | undefined)[] {
  const fromA = equal(node.output(0), node.input(0));
  const one = scalar(1, dy.backend);
  const [aShape, bShape] = node.inputShapes as [readonly number[], readonly number[]];
  return [
    node.needs[0] ? reduceTo(mul(dy, fromA), aShape) : undefined,
    node.needs[1] ? reduceTo(mul(dy, sub(one, fromA)), bShape) : undefined,
  ];
}

export const elementwiseGrads = {
  Binary: {
    saves: ({ op }) => (op === 'add' || op === 'sub' ? {} : op === 'mul' ? { inputs: [0, 1] } : { inputs: [0, 1], outputs: [0] }),
    backward([dy], node, { op }) {
      const [aShape, bShape] = node.inputShapes as [readonly number[], readonly number[]];
      const [needA, needB] = node.needs;
      switch (op) {
        case 'add':
          return [reduceTo(dy!, aShape), reduceTo(dy!, bShape)];
        case 'sub':
          return [reduceTo(dy!, aShape), needB ? reduceTo(neg(dy!), bShape) : undefined];
        case 'mul':
          return [
            needA ? reduceTo(mul(dy!, node.input(1)), aShape) : undefined,
            needB ? reduceTo(mul(dy!, node.input(0)), bShape) : undefined,
          ];
        case 'div':
          return [
            needA ? reduceTo(div(dy!, node.input(1)), aShape) : undefined,
            needB ? reduceTo(neg(div(mul(dy!, node.output(0)), node.input(1))), bShape) : undefined,
          ];
        case 'max':
        case 'min':
          return minMaxGrad(dy!, node);
        case 'equal':
          return [undefined, undefined];
      }
    },
  },
  Expand: {
    saves: {},
    backward: ([dy], node) => [reduceTo(dy!, node.inputShapes[0]!)],
  },
  Unary: {
    saves: { inputs: [0], outputs: [0] },
    backward: ([dy], node, { op, alpha }) => [unaryGrad(op, dy!, node.input(0), node.output(0), alpha)],
  },
  UnaryGrad: {
    saves: { inputs: [1, 2] },
    backward: ([ddx], node, { op, alpha }) => [unaryGrad(op, ddx!, node.input(1), node.input(2), alpha), undefined, undefined],
  },
  BiasAdd: {
    saves: {},
    backward: ([dy], node) => [dy!, node.needs[1] ? biasAddGrad(dy!) : undefined],
  },
} satisfies Pick<GradRules, 'Binary' | 'Expand' | 'Unary' | 'UnaryGrad' | 'BiasAdd'>;
