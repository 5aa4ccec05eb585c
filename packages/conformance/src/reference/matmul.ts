/** Float64 reference for MatMul (with its transposes, fused bias and relu) and its gradients. */
import type { FusedActivation, MatMulPlan } from '@stridenet/core';

type Values = ArrayLike<number>;

function at(v: Values, rows: number, cols: number, transposed: boolean, r: number, c: number): number {
  // op(M)[r, c]: M stored [rows, cols] normally, [cols, rows] when transposed.
  return transposed ? v[c * rows + r]! : v[r * cols + c]!;
}

export function matMul(a: Values, b: Values, bias: Values | undefined, plan: MatMulPlan, activation: FusedActivation = 'linear'): Float64Array {
  const { m, n, k } = plan;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += at(a, m, k, plan.transposeA, i, t) * at(b, k, n, plan.transposeB, t, j);
      if (bias) s += bias[j]!;
      c[i * n + j] = activation === 'relu' && s < 0 ? 0 : s;
    }
  }
  return c;
}

/** Gradients of sum(dc * (op(a) op(b) + bias)) in the storage layouts of a, b and bias. */
export function matMulGrad(dc: Values, a: Values, b: Values, plan: MatMulPlan): { da: Float64Array; db: Float64Array; dbias: Float64Array } {
  const { m, n, k } = plan;
  const da = new Float64Array(m * k);
  const db = new Float64Array(k * n);
  const dbias = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const g = dc[i * n + j]!;
      dbias[j] += g;
      for (let t = 0; t < k; t++) {
        da[plan.transposeA ? t * m + i : i * k + t] += g * at(b, k, n, plan.transposeB, t, j);
        db[plan.transposeB ? j * k + t : t * n + j] += g * at(a, m, k, plan.transposeA, i, t);
      }
    }
  }
  return { da, db, dbias };
}
