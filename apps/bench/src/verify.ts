import { deviation } from './data.js';
import type { ModelIr } from './model-ir.js';
import type { TrainCheck } from './runners/types.js';

/** Training steps compared (loss of each step and every trainable weight after the last). */
export const TRAIN_CHECK_STEPS = 3;

export interface TrainComparison {
  loss: { maxAbs: number; relative: number };
  /** Worst trainable tensor: largest deviation relative to that tensor's largest reference value. */
  weights: { maxAbs: number; relative: number; worst: string };
  /** max(loss.relative, weights.relative). */
  relative: number;
}

/** The model with every dropout rate 0: peers draw their own masks, so the check runs without them. */
export function withoutDropout(ir: ModelIr): ModelIr {
  return { ...ir, nodes: ir.nodes.map((n) => (n.op === 'dropout' ? { ...n, rate: 0 } : n)) };
}

export function hasDropout(ir: ModelIr | undefined): boolean {
  return Boolean(ir?.nodes.some((n) => n.op === 'dropout' && n.rate > 0));
}

/** Compares a runner's training check against the reference's; a missing tensor counts as infinite. */
export function compareTraining(reference: TrainCheck, value: TrainCheck): TrainComparison {
  const loss = deviation(reference.losses, value.losses);
  let weights = { maxAbs: 0, relative: 0, worst: '' };
  for (const [name, ref] of Object.entries(reference.params)) {
    const got = value.params[name];
    const d = got ? deviation(ref, got) : { maxAbs: Number.POSITIVE_INFINITY, relative: Number.POSITIVE_INFINITY };
    const rel = Number.isNaN(d.relative) ? Number.POSITIVE_INFINITY : d.relative;
    if (rel > weights.relative || !weights.worst) weights = { maxAbs: d.maxAbs, relative: rel, worst: name };
  }
  const lossRel = Number.isNaN(loss.relative) ? Number.POSITIVE_INFINITY : loss.relative;
  return { loss, weights, relative: Math.max(lossRel, weights.relative) };
}

/**
 * Float64 spot check of C = A B (A [m, k], B [k, n]): `samples` entries spread over C, each a float64
 * dot product. Used where the cpu-js reference of a large GEMM would take minutes.
 */
export function matmulSpotCheck(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, samples = 256): { maxAbs: number; relative: number } {
  let maxAbs = 0;
  let maxRef = 0;
  for (let s = 0; s < samples; s++) {
    // A fixed, well-spread walk over C (coprime strides), identical on every run.
    const i = (s * 7919) % m;
    const j = (s * 104729 + 13) % n;
    let ref = 0;
    for (let p = 0; p < k; p++) ref += a[i * k + p]! * b[p * n + j]!;
    const d = Math.abs(ref - c[i * n + j]!);
    maxAbs = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxAbs, d);
    maxRef = Math.max(maxRef, Math.abs(ref));
  }
  return { maxAbs, relative: maxAbs / Math.max(maxRef, 1e-12) };
}
