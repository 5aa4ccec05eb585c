/** Every differentiable op's backward rule, checked complete against autograd/ops.ts. */
import type { GradRules } from '../rule.js';
import { convGrads } from './conv.js';
import { dropoutGrads } from './dropout.js';
import { elementwiseGrads } from './elementwise.js';
import { layoutGrads } from './layout.js';
import { matMulGrads } from './matmul.js';
import { normalizationGrads } from './normalization.js';
import { poolGrads } from './pool.js';
import { reduceGrads } from './reduce.js';
import { softmaxGrads } from './softmax.js';

export const GRAD_RULES: GradRules = Object.freeze({
  ...convGrads,
  ...dropoutGrads,
  ...elementwiseGrads,
  ...layoutGrads,
  ...matMulGrads,
  ...normalizationGrads,
  ...poolGrads,
  ...reduceGrads,
  ...softmaxGrads,
});
