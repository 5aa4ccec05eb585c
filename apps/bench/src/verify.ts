import { deviation } from './data.js';
import type { ModelIr } from './model-ir.js';
import type { ReluFlips, TrainCheck } from './runners/types.js';

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

/**
 * The step-1 weight check against float64 ReLU flips (the gate where a runner can run them: PyTorch, `trainFlips`).
 *
 * Why: a float32 runner's step-1 weights differ from any float32 reference by more than rounding because the forward's
 * rounding puts some ReLU inputs within about 1e-6 of zero on the other side, and each such input passes (or stops)
 * one position's gradient: on ResNet-20 at batch 32 one flipped input in a 64-channel 8x8 layer moved that conv's
 * filter-row update by 2.7% of the tensor's largest update and its batch-norm bias by 1.1% (seed 1; PyTorch float32
 * and native flip the same input, the float32 cpu-js reference does not; at seed 2 cpu-js flips one that PyTorch
 * float64 does not). A 10% error in one output channel's gradient is only 1.2-4 times that, so no measure of the
 * weights alone separates the two (per-tensor, per-layer, model-wide, max or RMS, all tried on seeds 1, 2 and 7).
 * And the weights themselves are the wrong denominator: w1 = w0 - lr g, so a conv filter's step-1 weights are within
 * 2e-4 of their starting values relative to their largest, and the old gate (deviation relative to the tensor's
 * largest weight) passed a filter gradient that was entirely wrong in ResNet-20's layer3.
 *
 * What: the PyTorch float64 step from the same weights (`exact`), and FLIP_GROUPS more float64 steps, each with one
 * group of the ReLU inputs within FLIP_BAND x (that ReLU input's RMS) of zero taking the other decision in the
 * backward (`flipped[g]`; groups by a hash of the position). Each weight's allowance is sum_g |flipped[g] - exact|
 * (what flipping any of those decisions can move it, up to cancellation inside a group) plus 2 float32 ulps of the
 * weight (the runner's and this check's rounding of w1). The deviation of a tensor is its largest excess over the
 * allowance, relative to the tensor's largest float64 update |exact - w0|: 1 is an error as large as the step itself.
 * The band is 100x float32's rounding of a ReLU input and 10x the largest forward error measured for Winograd F(4x4, 3x3).
 */
export const FLIP_BAND = 1e-4;
export const FLIP_GROUPS = 8;

/** The float64 oracle of the step-1 weight check: the starting weights and the runner's (PyTorch) float64 flip steps. */
export interface FlipOracle {
  start: Record<string, Float32Array>;
  flips: ReluFlips;
}

/** Spacing of float32 values at |x| (the subnormal spacing below 2^-126). */
export function float32Ulp(x: number): number {
  const a = Math.abs(x);
  if (!(a >= 2 ** -126)) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

function compareUpdates(oracle: FlipOracle, value: Record<string, Float32Array>): WeightDeviation {
  let out: WeightDeviation = { maxAbs: 0, relative: 0, worst: '' };
  for (const [name, exact] of Object.entries(oracle.flips.exact)) {
    const got = value[name];
    const w0 = oracle.start[name];
    if (!w0 || w0.length !== exact.length) throw new Error(`compareTraining: no starting weights for '${name}'`);
    let excess = got && got.length === exact.length ? 0 : Number.POSITIVE_INFINITY;
    let step = 0;
    for (let i = 0; i < exact.length && excess !== Number.POSITIVE_INFINITY; i++) {
      const e = exact[i]!;
      let allow = 2 * float32Ulp(e);
      for (const f of oracle.flips.flipped) allow += Math.abs(f[name]![i]! - e);
      const d = Math.abs(got![i]! - e) - allow;
      if (!(d <= excess)) excess = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      step = Math.max(step, Math.abs(e - w0[i]!));
    }
    const rel = excess === 0 ? 0 : excess / Math.max(step, 1e-30);
    if (rel > out.relative || !out.worst) out = { maxAbs: excess, relative: rel, worst: name };
  }
  return out;
}

export interface TrainComparison {
  loss: { maxAbs: number; relative: number };
  /** Worst trainable tensor after step `weightsStep`: largest deviation relative to that tensor's largest reference value. */
  weights: WeightDeviation;
  weightsStep: number;
  /** The same after the last step, when it differs from weightsStep (not in `relative`; always against the reference). */
  weightsAfterLast?: WeightDeviation;
  /** 'flips': `weights` is the step-1 check against the float64 flip oracle (FlipOracle); absent: against the reference. */
  weightsMeasure?: 'flips';
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

/**
 * Compares a runner's training check against the reference's (losses; weights after the last step, reported) and
 * gates its step-1 weights against the float64 flip oracle where there is one (FLIP_BAND), else against the
 * reference's step-1 weights relative to each tensor's largest value. A missing tensor counts as infinite.
 */
export function compareTraining(reference: TrainCheck, value: TrainCheck, oracle?: FlipOracle): TrainComparison {
  const loss = deviation(reference.losses, value.losses);
  const steps = reference.losses.length;
  const lossRel = Number.isNaN(loss.relative) ? Number.POSITIVE_INFINITY : loss.relative;
  const last = compareWeights(reference.params, value.params);
  const gated = (weights: WeightDeviation, rest: Partial<TrainComparison>): TrainComparison => ({
    loss,
    weights,
    weightsStep: 1,
    ...rest,
    ...(oracle ? { weightsMeasure: 'flips' as const } : {}),
    relative: Math.max(lossRel, weights.relative),
  });
  if (steps <= 1) return gated(oracle ? compareUpdates(oracle, value.params) : last, { weightsStep: steps });
  if (!reference.firstStepParams) throw new Error('compareTraining: the reference has no weights after step 1');
  // A runner that did not report them fails the gate (infinite deviation) rather than passing unchecked.
  const firstValue = value.firstStepParams ?? {};
  return gated(oracle ? compareUpdates(oracle, firstValue) : compareWeights(reference.firstStepParams, firstValue), { weightsAfterLast: last });
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
 * Gates a runner's training check (against the float64 flip oracle when `oracle` is given, see FlipOracle). A runner
 * that can repeat the check in float64 (PyTorch) and misses the
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
  oracle?: FlipOracle,
): Promise<TrainingVerdict> {
  const float32 = compareTraining(reference, await check(false), oracle);
  if (float32.relative <= tolerance || !canFloat64) return { float32, correct: float32.relative <= tolerance };
  const float64 = compareTraining(reference, await check(true), oracle);
  return { float32, float64, correct: float64.relative <= tolerance };
}
