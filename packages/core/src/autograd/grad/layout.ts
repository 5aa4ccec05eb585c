import { pad, reshape, slice, transpose } from '../../ops/index.js';
import type { GradRules } from '../rule.js';

export const layoutGrads = {
  reshape: {
    saves: {},
    backward: ([dy], node) => [reshape(dy!, node.inputShapes[0]!)],
  },
  Transpose: {
    saves: {},
    backward([dy], _node, { plan }) {
      const inverse = new Array<number>(plan.perm.length);
      plan.perm.forEach((p, i) => (inverse[p] = i));
      return [transpose(dy!, inverse)];
    },
  },
  Slice: {
    saves: {},
    backward([dy], node, { plan }) {
      const xShape = node.inputShapes[0]!;
      return [pad(dy!, plan.outShape.map((s, d) => [plan.begin[d]!, xShape[d]! - plan.begin[d]! - s] as [number, number]))];
    },
  },
  Pad: {
    saves: {},
    backward: ([dy], node, { plan }) => [slice(dy!, plan.before, node.inputShapes[0]!)],
  },
  Concat: {
    saves: {},
    backward([dy], node, { plan }) {
      let offset = 0;
      return node.inputShapes.map((shape, i) => {
        const begin = shape!.map((_, d) => (d === plan.axis ? offset : 0));
        offset += shape![plan.axis]!;
        return node.needs[i] ? slice(dy!, begin, shape!) : undefined;
      });
    },
  },
} satisfies Pick<GradRules, 'reshape' | 'Transpose' | 'Slice' | 'Pad' | 'Concat'>;
