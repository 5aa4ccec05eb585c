import { INPUT_VALUE, stepInputs, type ExecutionPlan, type PlanNode } from './plan.js';

/** Bytes of one float32 value. */
const FLOAT_BYTES = 4;

/** What one sample costs a compiled pass, from the plan and the layers' per-sample shapes. */
export interface SampleBytes {
  /** Peak live activation bytes per sample when the caller owns the input (a whole-batch run). */
  peak: number;
  /**
   * Peak per sample when the run owns its input (a batch slice, copied out of the caller's batch and
   * freed after its last reader).
   */
  slicedPeak: number;
  /** Bytes per sample of the model output (a sliced run keeps every slice's output until it joins them). */
  output: number;
  /** The step after which the input is read no more (a sliced run frees its input copy there). */
  inputLastStep: number;
}

/**
 * Walks the plan once, the way CompiledModel runs it: a step's inputs and output are alive together, and
 * the values of freeAfter[k] die after step k. Every value is float32 with one leading batch axis, so the
 * activation bytes of a pass over n samples are n times these.
 */
export function sampleBytes(plan: ExecutionPlan, nodes: readonly PlanNode[], inputShape: readonly number[]): SampleBytes {
  const size = (v: number) => FLOAT_BYTES * (v === INPUT_VALUE ? inputShape : nodes[v]!.layer.outputShape).reduce((a, b) => a * b, 1);
  let inputLastStep = -1;
  plan.steps.forEach((s, k) => {
    if (stepInputs(s).includes(INPUT_VALUE)) inputLastStep = k;
  });
  const walk = (ownsInput: boolean): number => {
    let live = ownsInput ? size(INPUT_VALUE) : 0;
    let peak = live;
    plan.steps.forEach((s, k) => {
      live += size(s.output);
      peak = Math.max(peak, live);
      for (const v of plan.freeAfter[k]!) live -= size(v);
      if (ownsInput && k === inputLastStep) live -= size(INPUT_VALUE);
    });
    return peak;
  };
  return { peak: walk(false), slicedPeak: walk(true), output: size(plan.output), inputLastStep };
}

/** When and how finely a compiled run slices a batch. */
export interface SliceRule {
  /** Activation bytes a slice's pass may hold. */
  maxBytes: number;
  /** Batches whose whole pass holds at most this many bytes are never sliced. */
  above: number;
  /** Fewest samples a slice keeps (the budget gives way first). */
  minSamples: number;
}

/** Never slice. */
export const WHOLE_BATCHES: SliceRule = Object.freeze({ maxBytes: Infinity, above: Infinity, minSamples: 1 });

/**
 * The rule for compile(model, { maxActivationBytes }): a number is a hard budget (slices down to one
 * sample); 'auto' takes the budget the backend asks for (BackendInfo.compiledSliceBytes; none: whole
 * batches) and slices only a pass above twice that, in slices of 8 samples at least, because each slice
 * costs every step's dispatch again and small slices make small kernels (measured in the core README).
 */
export function sliceRule(maxActivationBytes: number | 'auto', backendBytes: number | undefined): SliceRule {
  if (maxActivationBytes !== 'auto') return { maxBytes: maxActivationBytes, above: maxActivationBytes, minSamples: 1 };
  if (backendBytes === undefined || !(backendBytes > 0)) return WHOLE_BATCHES;
  return { maxBytes: backendBytes, above: 2 * backendBytes, minSamples: 8 };
}

/**
 * Samples per slice for a batch of `batch`: the whole batch when its pass is within `rule.above` (or the
 * plan cannot be sliced), else the largest slice whose pass fits `rule.maxBytes` (at least
 * `rule.minSamples`), then evened out so that every slice has the same size but the last (64 at most 21
 * a slice: 4 x 16). A sliced pass holds its slice's activations, the outputs of the slices before it, and
 * at the end both the parts and the joined output.
 */
export function sliceSize(batch: number, rule: SliceRule, bytes: SampleBytes | undefined): number {
  if (bytes === undefined || batch <= 1 || batch * bytes.peak <= rule.above) return batch;
  // n * slicedPeak + (batch - n) * output <= maxBytes, and the join 2 * batch * output <= maxBytes.
  const room = rule.maxBytes - batch * bytes.output;
  const per = bytes.slicedPeak - bytes.output;
  if (per <= 0) return batch;
  const fit = 2 * batch * bytes.output > rule.maxBytes ? 1 : Math.floor(room / per);
  const n = Math.min(batch, Math.max(1, rule.minSamples, fit));
  const slices = Math.min(Math.ceil(batch / n), Math.max(1, Math.floor(batch / rule.minSamples)));
  return Math.ceil(batch / slices);
}
