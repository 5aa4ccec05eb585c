import { ShapeError } from '../errors.js';
import { freezePlan, sameValues } from './common.js';
import { encodingOffsets } from '../spec/encoding.js';

/**
 * C[m, n] = op(A) op(B) with op(A) [m, k] and op(B) [k, n]; A is stored [k, m] when transposeA,
 * B is stored [n, k] when transposeB. Row-major.
 */
export interface MatMulPlan {
  readonly kind: 'matmul';
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly outShape: readonly [number, number];
  /** [m, n, k, transposeA, transposeB] */
  readonly encoded: Int32Array;
}

export const MATMUL_ENCODING = encodingOffsets('matmul');

/**
 * The last plan made for each frozen b shape (a Dense layer's weight keeps its shape array from pass to pass), with
 * the a shape and transpose flags it was made from; see CONV2D_MEMO in conv2d.ts. Only plans that were made are kept.
 */
const MATMUL_MEMO = new WeakMap<object, { readonly aShape: readonly number[]; readonly transposeA: boolean; readonly transposeB: boolean; readonly plan: MatMulPlan }>();

export function planMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA = false,
  transposeB = false,
): MatMulPlan {
  const key = Array.isArray(bShape) && Object.isFrozen(bShape) ? bShape : undefined;
  if (key === undefined) return makeMatMulPlan(aShape, bShape, transposeA, transposeB);
  const m = MATMUL_MEMO.get(key);
  if (m !== undefined && m.transposeA === transposeA && m.transposeB === transposeB && Array.isArray(aShape) && sameValues(m.aShape, aShape)) return m.plan;
  const plan = makeMatMulPlan(aShape, bShape, transposeA, transposeB);
  MATMUL_MEMO.set(key, { aShape: aShape.slice(), transposeA, transposeB, plan });
  return plan;
}

function makeMatMulPlan(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): MatMulPlan {
  const op = 'matMul';
  for (const [name, s] of [['a', aShape], ['b', bShape]] as const) {
    if (s.length !== 2 || !s.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(op, `${name} shape`, s, 'rank 2 with non-negative dimensions');
    }
  }
  const m = transposeA ? aShape[1]! : aShape[0]!;
  const k = transposeA ? aShape[0]! : aShape[1]!;
  const kb = transposeB ? bShape[1]! : bShape[0]!;
  const n = transposeB ? bShape[0]! : bShape[1]!;
  if (k !== kb) {
    throw new ShapeError(op, 'b shape', bShape, `inner dimension ${k} to match a shape [${aShape.join(',')}]`,
      `transposeA ${transposeA}, transposeB ${transposeB}`);
  }
  const encoded = Int32Array.from([m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0]);
  return freezePlan({ kind: 'matmul' as const, m, n, k, transposeA, transposeB, outShape: Object.freeze([m, n]) as readonly [number, number], encoded });
}
