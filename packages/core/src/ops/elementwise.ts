import { ArgumentError, ShapeError } from '../errors.js';
import { engine, type Tensor } from '../engine.js';
import { record } from '../autograd/record.js';
import type { BinaryOp, UnaryOp } from '../spec/index.js';
import { planBroadcast, planChannel, planExpand } from '../plans/elementwise.js';
import { scalar } from './create.js';
import { reshape } from './layout.js';
import { sum } from './reduce.js';

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const plan = planBroadcast(op, a.shape, b.shape);
  const [y] = engine.runKernel('Binary', { a, b }, { op, plan }, [plan.outShape]);
  if (op !== 'equal') record('Binary', [y!], [a, b], { op, plan });
  return y!;
}

/** Sums a broadcast gradient back to `shape`. */
export function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return reshape(sum(g, axes), shape);
}

/** Repeats x along broadcast axes to `shape` (NumPy broadcast_to); returns x itself when it has that shape. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const plan = planExpand('broadcastTo', x.shape, shape);
  const [y] = engine.runKernel('Expand', { x }, { plan }, [plan.outShape]);
  record('Expand', [y!], [x], { plan });
  return y!;
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binary('div', a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binary('max', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binary('min', a, b);

/** 1 where a == b, else 0 (no gradient). */
export function equal(a: Tensor, b: Tensor): Tensor {
  return binary('equal', a, b);
}

export function mulScalar(x: Tensor, v: number): Tensor {
  const s = scalar(v, x.backend);
  const y = mul(x, s);
  s.dispose();
  return y;
}

export function addScalar(x: Tensor, v: number): Tensor {
  const s = scalar(v, x.backend);
  const y = add(x, s);
  s.dispose();
  return y;
}

function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  if (!Number.isFinite(alpha)) throw new ArgumentError(op, 'alpha', alpha, 'a finite number');
  const attrs = { op, alpha, size: x.size };
  const [y] = engine.runKernel('Unary', { x }, attrs, [x.shape]);
  record('Unary', [y!], [x], attrs);
  return y!;
}

/** dy * op'(x) from the kernel contract's UnaryGrad. */
export function unaryGrad(op: UnaryOp, dy: Tensor, x: Tensor, y: Tensor, alpha = 0): Tensor {
  if (dy.size !== x.size) throw new ShapeError(`${op}Grad`, 'dy shape', dy.shape, `[${x.shape.join(',')}]`);
  const attrs = { op, alpha, size: x.size };
  const [dx] = engine.runKernel('UnaryGrad', { dy, x, y }, attrs, [x.shape]);
  record('UnaryGrad', [dx!], [dy, x, y], attrs);
  return dx!;
}

export const relu = (x: Tensor): Tensor => unary('relu', x);
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => unary('leakyRelu', x, alpha);
export const elu = (x: Tensor, alpha = 1): Tensor => unary('elu', x, alpha);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const neg = (x: Tensor): Tensor => unary('neg', x);
export const square = (x: Tensor): Tensor => unary('square', x);
/** A copy with its own storage. */
export const copy = (x: Tensor): Tensor => unary('identity', x);

/** x + bias along channel axis 1 (NC, NCL or NCHW). */
export function biasAdd(x: Tensor, bias: Tensor): Tensor {
  if (bias.rank !== 1) throw new ShapeError('biasAdd', 'bias shape', bias.shape, 'rank 1 [channels]');
  const plan = planChannel('biasAdd', x.shape, bias.shape[0]!, `bias shape [${bias.shape.join(',')}]`);
  const [y] = engine.runKernel('BiasAdd', { x, bias }, { plan }, [x.shape]);
  record('BiasAdd', [y!], [x, bias], { plan });
  return y!;
}

/** Sum over every axis but channel axis 1. */
export function biasAddGrad(dy: Tensor): Tensor {
  const plan = planChannel('biasAddGrad', dy.shape, dy.shape[1]!);
  const [db] = engine.runKernel('BiasAddGrad', { dy }, { plan }, [[dy.shape[1]!]]);
  return db!;
}

