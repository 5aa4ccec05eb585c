import { Rng, createModel, planConv2d, planPool2d } from '@stridenet/core';
import type { Workload } from './workloads.js';
import { modelIr, type ModelIr } from './model-ir.js';

/** Host-side inputs of one workload: identical bytes for every runner. */
export interface WorkloadInputs {
  /** Named float32 tensors with their shapes (NCHW / OIHW / [rows, cols]). */
  tensors: Record<string, { shape: readonly number[]; data: Float32Array }>;
  /** Class labels (model training). */
  labels?: Int32Array;
  /** Model architecture and weights (model workloads). */
  model?: ModelIr;
  /** Shape of the output every runner returns. */
  outShape: readonly number[];
}

function uniform(rng: Rng, shape: readonly number[], scale = 1): { shape: readonly number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: rng.uniform(n, -scale, scale) };
}

export async function makeInputs(w: Workload): Promise<WorkloadInputs> {
  const rng = new Rng(w.seed);
  const s = w.spec;
  switch (s.kind) {
    case 'conv2d': {
      const plan = planConv2d(s.input, s.filter, { stride: s.stride, dilation: s.dilation, padding: [...s.pads] as [number, number, number, number], groups: s.groups });
      const fanIn = s.filter[1] * s.filter[2] * s.filter[3];
      const x = uniform(rng, s.input);
      const filter = uniform(rng, s.filter, 1 / Math.sqrt(fanIn));
      const dy = uniform(rng, plan.outShape);
      if (s.pass === 'forward') return { tensors: { x, filter }, outShape: plan.outShape };
      if (s.pass === 'backward-input') return { tensors: { dy, filter }, outShape: s.input };
      return { tensors: { x, dy }, outShape: s.filter };
    }
    case 'pool2d': {
      const plan = planPool2d(s.input, { window: [...s.window] as [number, number], stride: [...s.stride] as [number, number], padding: [...s.pads] as [number, number, number, number], ceilMode: s.ceilMode, countIncludePad: s.countIncludePad });
      const x = uniform(rng, s.input);
      if (!s.pass || s.pass === 'forward-train') return { tensors: { x }, outShape: plan.outShape };
      const dy = uniform(rng, plan.outShape);
      return { tensors: s.pool === 'max' ? { dy, x } : { dy }, outShape: s.input };
    }
    case 'dense':
      return {
        tensors: {
          x: uniform(rng, [s.batch, s.inFeatures]),
          w: uniform(rng, [s.outFeatures, s.inFeatures], 1 / Math.sqrt(s.inFeatures)),
          b: uniform(rng, [s.outFeatures], 0.1),
        },
        outShape: [s.batch, s.outFeatures],
      };
    case 'matmul':
      return { tensors: { a: uniform(rng, [s.m, s.k]), b: uniform(rng, [s.k, s.n], 1 / Math.sqrt(s.k)) }, outShape: [s.m, s.n] };
    case 'model': {
      // Weights are made once here (on whatever backend is active) and copied into every runner.
      const model = createModel(s.model, { seed: w.seed, numClasses: s.numClasses, inputShape: [...s.inputShape] });
      const ir = await modelIr(model);
      model.dispose();
      const x = uniform(rng, [s.batch, ...s.inputShape]);
      const labels = new Int32Array(s.batch);
      const u = rng.uniform(s.batch, 0, s.numClasses);
      for (let i = 0; i < s.batch; i++) labels[i] = Math.min(s.numClasses - 1, Math.floor(u[i]!));
      return { tensors: { x }, labels, model: ir, outShape: s.mode === 'train' ? [1] : [s.batch, s.numClasses] };
    }
  }
}

/** Largest |a - b| and that bound relative to the largest |reference| value. NaN where shapes differ. */
export function deviation(reference: Float32Array, value: Float32Array): { maxAbs: number; relative: number } {
  if (reference.length !== value.length) return { maxAbs: Number.NaN, relative: Number.NaN };
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const d = Math.abs(r - value[i]!);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    if (Math.abs(r) > maxRef) maxRef = Math.abs(r);
  }
  return { maxAbs, relative: maxAbs / Math.max(maxRef, 1e-12) };
}
