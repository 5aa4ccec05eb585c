import { engine, type Tensor } from '../../engine.js';
import { matMul } from '../../ops/index.js';
import { planReduce } from '../../plans/layout.js';
import type { GradRules } from '../rule.js';
import { productSaves, throughActivation } from './fused.js';

export const matMulGrads = {
  MatMul: {
    saves: productSaves,
    backward([dy], node, { plan, activation }) {
      const g = throughActivation(dy!, node, activation);
      const { transposeA: tA, transposeB: tB } = plan;
      const [needA, needB, needBias] = node.needs;
      let da: Tensor | undefined;
      let db: Tensor | undefined;
      let dbias: Tensor | undefined;
      if (needA) {
        const b = node.input(1);
        da = tA ? matMul(b, g, { transposeA: tB, transposeB: true }) : matMul(g, b, { transposeB: !tB });
      }
      if (needB) {
        const a = node.input(0);
        db = tB ? matMul(g, a, { transposeA: true, transposeB: tA }) : matMul(a, g, { transposeA: !tA });
      }
      if (needBias) [dbias] = engine.runKernel('Reduce', { x: g }, { op: 'sum', plan: planReduce(1, plan.m, plan.n) }, [[plan.n]]);
      return [da, db, dbias];
    },
  },
} satisfies Pick<GradRules, 'MatMul'>;
