import { deviation } from './data.js';
import type { ModelIr } from './model-ir.js';
import type { TrainCheck } from './runners/types.js';

/**
 * Training steps compared: the loss of each step, every trainable weight after the first step (gated)
 * and after the last (reported). Weights after later steps are not a precision bar: from step 2 on, a
 * ReLU input within rounding of zero (|x| ~ 1e-6) can take the other sign on a correct backend, and
 * that changes the gradient of near-zero tensors (batch-norm biases) by more than the tolerance —
 * the exact double batch-norm kernels measured 6e-3 to 1.9e-2 after 3 steps on five of six seeds
 * of ResNet-20 (issue #12, 2026-12-05). After one step every runner starts from the same weights,
 * so the weights check every gradient without that amplification.
 */
export const TRAIN_CHECK_STEPS = 3;

type WeightDeviation = { maxAbs: number; relative: number; worst: string };

export interface TrainComparison {
  loss: { maxAbs: number; relative: number };
  /** Worst trainable tensor after step `weightsStep`: largest deviation relative to that tensor's largest reference value. */
  weights: WeightDeviation;
  weightsStep: number;
  /** The same after the last step, when it differs from weightsStep (not in `relative`). */
  weightsAfterLast?: WeightDeviation;
  /** max(loss.relative, weights.relative). */
  relative: number;
}

function compareWeights(reference: Record<string, Float32Array>, value: Record<string, Float32Array>): WeightDeviation {
  let weights: WeightDeviation = { maxAbs: 0, relative: 0, worst: '' };
  for (const [name, ref] of Object.entries(reference)) {
    const got = value[name];
    const d = got ? deviation(ref, got) : { maxAbs: Number.POSITIVE_INFINITY, relative: Number.POSITIVE_INFINITY };
    const rel = Number.isNaN(d.relative) ? Number.POSITIVE_INFINITY : d.relative;
    if (rel > weights.relative || !weights.worst) weights = { maxAbs: d.maxAbs, relative: rel, worst: name };
  }
  return weights;
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
  const steps = reference.losses.length;
  const lossRel = Number.isNaN(loss.relative) ? Number.POSITIVE_INFINITY : loss.relative;
  const last = compareWeights(reference.params, value.params);
  if (steps <= 1) return { loss, weights: last, weightsStep: steps, relative: Math.max(lossRel, last.relative) };
  if (!reference.firstStepParams) throw new Error('compareTraining: the reference has no weights after step 1');
  // A runner that did not report them fails the gate (infinite deviation) rather than passing unchecked.
  const first = compareWeights(reference.firstStepParams, value.firstStepParams ?? {});
  return { loss, weights: first, weightsStep: 1, weightsAfterLast: last, relative: Math.max(lossRel, first.relative) };
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

/** A training check's verdict: the float32 comparison, and the float64 one where it was run. */
export interface TrainingVerdict {
  float32: TrainComparison;
  /** The runner's float64 run of the same model code, run only when float32 missed the tolerance. */
  float64?: TrainComparison;
  correct: boolean;
}

/**
 * Gates a runner's training check. A runner that can repeat the check in float64 (PyTorch) and misses the
 * tolerance in float32 is run again in float64: when that run of the same model code matches, the float32
 * deviation is the runner's own rounding, not another workload, and the cell counts as checked with both
 * deviations recorded. PyTorch's ResNet-20 batch-norm bias gradients are sums over 32768 terms that nearly
 * cancel: in float32 they deviate 1.4e-3 from the compensated reference after one step, in float64 4.8e-7
 * (Zen 4, 2026-12-06). A float64 run that also misses keeps the cell wrong.
 */
export async function gateTraining(
  reference: TrainCheck,
  check: (float64: boolean) => Promise<TrainCheck>,
  canFloat64: boolean,
  tolerance: number,
): Promise<TrainingVerdict> {
  const float32 = compareTraining(reference, await check(false));
  if (float32.relative <= tolerance || !canFloat64) return { float32, correct: float32.relative <= tolerance };
  const float64 = compareTraining(reference, await check(true));
  return { float32, float64, correct: float64.relative <= tolerance };
}
