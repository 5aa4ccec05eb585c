import type { Check } from './harness/check.js';
import { conv2dChecks } from './suites/conv2d.js';
import { pool2dChecks } from './suites/pool2d.js';
import { matMulChecks } from './suites/matmul.js';
import { elementwiseChecks } from './suites/elementwise.js';
import { reduceChecks } from './suites/reduce.js';
import { softmaxFamilyChecks } from './suites/softmax.js';
import { batchNormChecks } from './suites/batch-norm.js';
import { layoutChecks } from './suites/layout.js';
import { optimizerChecks } from './suites/optimizer.js';
import { multiTensorChecks } from './suites/multi-tensor.js';
import { goldenChecks } from './suites/golden.js';
import { badInputChecks } from './suites/bad-input.js';
import { opChecks } from './ops-checks.js';
import { autogradChecks } from './suites/autograd.js';
import { emptyChecks } from './suites/empty.js';

/** Every check of the suite, in a stable order. */
export function allChecks(): Check[] {
  return [
    ...conv2dChecks(),
    ...pool2dChecks(),
    ...matMulChecks(),
    ...elementwiseChecks(),
    ...reduceChecks(),
    ...softmaxFamilyChecks(),
    ...batchNormChecks(),
    ...layoutChecks(),
    ...optimizerChecks(),
    ...multiTensorChecks(),
    ...goldenChecks(),
    ...autogradChecks(),
    ...badInputChecks(),
    ...opChecks(),
    ...emptyChecks(),
  ];
}
