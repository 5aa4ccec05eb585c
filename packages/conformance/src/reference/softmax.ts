/** Float64 reference for Softmax / log-softmax over the last axis and softmax cross-entropy. */
import type { RowsPlan } from '@stridenet/core';

type Values = ArrayLike<number>;

function logSumExp(x: Values, offset: number, cols: number): number {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, x[offset + j]!);
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(x[offset + j]! - m);
  return m + Math.log(s);
}

export function softmax(x: Values, plan: RowsPlan, log = false): Float64Array {
  const y = new Float64Array(plan.rows * plan.cols);
  for (let r = 0; r < plan.rows; r++) {
    const o = r * plan.cols;
    const lse = logSumExp(x, o, plan.cols);
    for (let j = 0; j < plan.cols; j++) y[o + j] = log ? x[o + j]! - lse : Math.exp(x[o + j]! - lse);
  }
  return y;
}

/** Gradient of sum(dy * softmax(x)) (or log-softmax) w.r.t. x. */
export function softmaxGrad(dy: Values, x: Values, plan: RowsPlan, log = false): Float64Array {
  const p = softmax(x, plan, false);
  const dx = new Float64Array(p.length);
  for (let r = 0; r < plan.rows; r++) {
    const o = r * plan.cols;
    let dot = 0;
    for (let j = 0; j < plan.cols; j++) dot += log ? dy[o + j]! : dy[o + j]! * p[o + j]!;
    for (let j = 0; j < plan.cols; j++) dx[o + j] = log ? dy[o + j]! - p[o + j]! * dot : p[o + j]! * (dy[o + j]! - dot);
  }
  return dx;
}

/** Per-row loss -sum(labels * logSoftmax(logits)). */
export function softmaxCrossEntropy(logits: Values, labels: Values, plan: RowsPlan): Float64Array {
  const ls = softmax(logits, plan, true);
  const loss = new Float64Array(plan.rows);
  for (let r = 0; r < plan.rows; r++) {
    let s = 0;
    for (let j = 0; j < plan.cols; j++) s -= labels[r * plan.cols + j]! * ls[r * plan.cols + j]!;
    loss[r] = s;
  }
  return loss;
}

/** Exact gradient of sum(dloss * loss): dloss[row] * (sum(labels[row]) * softmax - labels). */
export function softmaxCrossEntropyGrad(dloss: Values, logits: Values, labels: Values, plan: RowsPlan): Float64Array {
  const p = softmax(logits, plan, false);
  const d = new Float64Array(p.length);
  for (let r = 0; r < plan.rows; r++) {
    let total = 0;
    for (let j = 0; j < plan.cols; j++) total += labels[r * plan.cols + j]!;
    for (let j = 0; j < plan.cols; j++) {
      const i = r * plan.cols + j;
      d[i] = dloss[r]! * (total * p[i]! - labels[i]!);
    }
  }
  return d;
}
