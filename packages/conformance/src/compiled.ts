/**
 * Compiled-vs-eager agreement: every zoo model, with batch-norm statistics and affine parameters
 * drawn away from their identity initialisation (so folding is really exercised), run eagerly and
 * through compile(model, { mode: 'inference' }) on one backend, whole and in batch slices of one sample
 * (maxActivationBytes: 1). Error is the largest absolute difference over the largest eager magnitude;
 * neither compiled run may leave a tensor behind. The eager reference runs layer by layer (ctx.fuse false);
 * eager inference as users get it (batch norm folded and epilogues fused on the fly) is held to it the same way.
 */
import { it } from 'vitest';
import { Rng, compile, createModel, memory, setBackend, tensor, type AnyBackend, type Layer, type Tensor } from '@stridenet/core';

export interface CompiledCase {
  model: string;
  options: Record<string, unknown>;
  batch: number;
}

/** The whole zoo at sizes that keep a CPU run short (the zoo test's reduced configurations); batch 2 at least, so that the sliced run slices. */
export const COMPILED_CASES: readonly CompiledCase[] = Object.freeze([
  { model: 'lenet5', options: {}, batch: 3 },
  { model: 'ccpccp', options: {}, batch: 2 },
  { model: 'cnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'stridedCnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'convPoolCnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'allCnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'alexnet', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 64, 64] }, batch: 2 },
  { model: 'vgg11', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] }, batch: 2 },
  { model: 'vgg16', options: { numClasses: 10, hiddenUnits: 64, inputShape: [3, 32, 32] }, batch: 2 },
  { model: 'googlenet', options: { numClasses: 10, inputShape: [3, 64, 64] }, batch: 2 },
  { model: 'resnet20', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'resnet18', options: { numClasses: 10, inputShape: [3, 32, 32] }, batch: 2 },
]);

export interface CompiledResult {
  model: string;
  /** max |compiled - eager| / max |eager|. */
  relative: number;
  /** Batch norms folded and activations fused / layers removed, from the plan. */
  rewrites: number;
  steps: { compiled: number; eager: number };
  /** Tensors a compiled run left alive (must be 0). */
  leaked: number;
  /** The run in batch slices of one sample: max |sliced - eager| / max |eager|, slice size, tensors left. */
  sliced: { relative: number; sliceSize: number; leaked: number };
  /** Eager inference with its fusion (the default forward): error against the layer-by-layer pass, tensors a second pass left. */
  fused: { relative: number; leaked: number };
}

/** Gives every batch norm non-trivial statistics and affine parameters, drawn from `rng`. */
export function perturbBatchNorms(layers: readonly Layer[], rng: Rng): void {
  const draw: Record<string, (u: number) => number> = { runningVar: (u) => 0.5 + u, runningMean: (u) => 0.4 * u - 0.2, weight: (u) => 0.5 + u, bias: (u) => u - 0.5 };
  for (const layer of layers.filter((l) => l.type.startsWith('BatchNorm'))) {
    for (const [name, f] of Object.entries(draw)) {
      const p = layer.param(name);
      p.value = tensor(rng.uniform(p.size).map(f), p.shape);
    }
  }
}

/** max |a - b| / max |b| (Infinity on NaN). */
export async function maxRelative(a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return Number.isNaN(diff) ? Infinity : diff / (scale || 1);
}

/** Runs every case eagerly and compiled on a fresh backend from `createBackend`. */
export async function compiledCheck(createBackend: () => AnyBackend | Promise<AnyBackend>, cases: readonly CompiledCase[] = COMPILED_CASES): Promise<CompiledResult[]> {
  await setBackend(await createBackend());
  const results: CompiledResult[] = [];
  for (const c of cases) {
    const model = createModel(c.model, { seed: 3, ...c.options });
    const rng = new Rng(11);
    perturbBatchNorms(model.layers, rng);
    const x = tensor(rng.normal(c.batch * model.inputShape.reduce((a, b) => a * b, 1)), [c.batch, ...model.inputShape]);
    const eager = model.forward(x, { training: false, rng, fuse: false });
    // The first fused pass folds (and keeps) the batch norms; the second must leave nothing else behind.
    model.forward(x, { training: false, rng }).dispose();
    const beforeFused = memory().tensors;
    const fused = model.forward(x, { training: false, rng });
    const fusedLeaked = memory().tensors - beforeFused - 1;
    const compiled = await compile(model, { mode: 'inference' });
    const sliced = await compile(model, { mode: 'inference', maxActivationBytes: 1 });
    const before = memory().tensors;
    const y = compiled.run(x);
    const leaked = memory().tensors - before - 1;
    const ys = sliced.run(x);
    const slicedLeaked = memory().tensors - before - 2;
    results.push({
      model: c.model,
      relative: await maxRelative(y, eager),
      rewrites: compiled.plan.rewrites.length,
      steps: { compiled: compiled.plan.steps.length, eager: model.layers.length },
      leaked,
      sliced: { relative: await maxRelative(ys, eager), sliceSize: sliced.sliceSize(c.batch), leaked: slicedLeaked },
      fused: { relative: await maxRelative(fused, eager), leaked: fusedLeaked },
    });
    [y, ys, fused, eager, x].forEach((t) => t.dispose());
    compiled.dispose();
    sliced.dispose();
    model.dispose();
  }
  return results;
}

/** Throws naming every model whose compiled output strays past `rtol` or that leaked. */
export function expectCompiledAgreement(results: readonly CompiledResult[], rtol = 1e-5): void {
  const bad = results.filter(
    (r) => !(r.relative <= rtol) || r.leaked !== 0 || !(r.sliced.relative <= rtol) || r.sliced.leaked !== 0 || !(r.fused.relative <= rtol) || r.fused.leaked !== 0,
  );
  if (bad.length > 0) {
    const lines = bad.map(
      (r) =>
        `${r.model}: relative ${r.relative.toExponential(3)} (rtol ${rtol}), leaked ${r.leaked}; in slices of ${r.sliced.sliceSize}: relative ` +
        `${r.sliced.relative.toExponential(3)}, leaked ${r.sliced.leaked}; fused eager: relative ${r.fused.relative.toExponential(3)}, leaked ${r.fused.leaked}`,
    );
    throw new Error(`compiled or fused eager vs layer-by-layer eager disagree:\n${lines.join('\n')}`);
  }
}

/** Defines the compiled-vs-eager test for one backend: call it at the top level of the backend's test file. */
export function runCompiledConformance(label: string, createBackend: () => AnyBackend | Promise<AnyBackend>, rtol = 1e-5): void {
  it(`compiled and fused eager inference match layer-by-layer eager for every zoo model on ${label}`, async () => {
    const results = await compiledCheck(createBackend);
    const resnet = results.find((r) => r.model === 'resnet20');
    if (results.length !== COMPILED_CASES.length || !resnet || !(resnet.steps.compiled < resnet.steps.eager) || results.some((r) => r.sliced.sliceSize !== 1)) {
      throw new Error(`compiled check: expected every case run, in slices of one sample too, and ResNet-20 in fewer steps than eager, got ${JSON.stringify(results)}`);
    }
    expectCompiledAgreement(results, rtol);
  }, 600_000);
}
