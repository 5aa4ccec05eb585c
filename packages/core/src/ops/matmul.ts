import { ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/tape.js';
import type { FusedActivation } from '../spec.js';
import { planMatMul } from '../plans/matmul.js';
import { planReduce } from '../plans/layout.js';
import { unaryGrad } from './elementwise.js';
import { checkActivation } from './conv.js';

export interface MatMulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Length n, added to every row. */
  bias?: Tensor;
  activation?: FusedActivation;
}

/** Row-major matrix product op(a) op(b) with optional fused bias and relu. */
export function matMul(a: Tensor, b: Tensor, options: MatMulOptions = {}): Tensor {
  const tA = options.transposeA ?? false;
  const tB = options.transposeB ?? false;
  const plan = planMatMul(a.shape, b.shape, tA, tB);
  const activation = checkActivation('matMul', options.activation);
  const bias = options.bias;
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== plan.n)) {
    throw new ShapeError('matMul', 'bias shape', bias.shape, `[${plan.n}] (one per output column)`);
  }
  const [y] = engine.runKernel('MatMul', { a, b, bias }, { plan, activation }, [plan.outShape]);
  record([y!], [a, b, bias], ([dy], needs) => {
    const g = activation === 'relu' ? unaryGrad('relu', dy!, y!, y!) : dy!;
    let da: Tensor | undefined;
    let db: Tensor | undefined;
    if (needs[0]) da = tA ? matMul(b, g, { transposeA: tB, transposeB: true }) : matMul(g, b, { transposeB: !tB });
    if (needs[1]) db = tB ? matMul(g, a, { transposeA: true, transposeB: tA }) : matMul(a, g, { transposeA: !tA });
    let dbias: Tensor | undefined;
    if (bias) {
      [dbias] = engine.runKernel('Reduce', { x: g }, { op: 'sum', plan: planReduce(1, plan.m, plan.n) }, [[plan.n]]);
    }
    return [da, db, dbias];
  });
  return y!;
}
