import { ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record, recording, taping } from '../autograd/record.js';
import type { FusedActivation } from '../spec/index.js';
import { planMatMul } from '../plans/matmul.js';
import { checkActivation } from './conv.js';
import { checkOptionKeys, optionKeys } from '../options.js';

export interface MatMulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Length n, added to every row. */
  bias?: Tensor;
  activation?: FusedActivation;
}

const MATMUL_OPTION_KEYS = optionKeys<MatMulOptions>({ transposeA: 1, transposeB: 1, bias: 1, activation: 1 });

/** Row-major matrix product op(a) op(b) with optional fused bias and relu. */
export function matMul(a: Tensor, b: Tensor, options: MatMulOptions = {}): Tensor {
  checkOptionKeys('matMul', options, MATMUL_OPTION_KEYS);
  const tA = options.transposeA ?? false;
  const tB = options.transposeB ?? false;
  const plan = planMatMul(a.shape, b.shape, tA, tB);
  const activation = checkActivation('matMul', options.activation);
  const bias = options.bias;
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== plan.n)) {
    throw new ShapeError('matMul', 'bias shape', bias.shape, `[${plan.n}] (one per output column)`);
  }
  // A call no tape records is inference: the backend may keep a prepared copy of b (conv2d's rule).
  const recorded = taping() && recording([a, b, bias]);
  const [y] = engine.runKernel('MatMul', { a, b, bias }, recorded ? { plan, activation } : { plan, activation, noGrad: true }, [plan.outShape]);
  if (recorded) record('MatMul', [y!], [a, b, bias], { plan, activation });
  return y!;
}
