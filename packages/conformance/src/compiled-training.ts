/**
 * Compiled-vs-eager training: every zoo model, built twice from one seed (batch norms perturbed alike),
 * trained three SGD-momentum steps on one batch eagerly and through compile(model, { mode: 'training' })
 * on one backend. The losses and every parameter and buffer afterwards (running statistics included) must
 * agree within the cross-backend training tolerance, and the compiled steps must leave no tensor behind.
 * The eager reference runs layer by layer (ctx.fuse false): eager training as users get it runs the same
 * fused plan as the compiled model.
 */
import { it } from 'vitest';
import { Rng, Sgd, compile, createModel, memory, setBackend, tensor, trainStep, type AnyBackend, type ForwardContext, type LayerModel, type Model, type Tensor } from '@stridenet/core';
import { COMPILED_CASES, maxRelative, perturbBatchNorms, type CompiledCase } from './compiled.js';

export interface CompiledTrainingResult {
  model: string;
  /** Largest |loss_compiled - loss_eager| / |loss_eager| over the steps. */
  loss: number;
  /** Largest max|compiled - eager| / max|eager| over the parameters and buffers after the steps. */
  weights: number;
  /** The parameter where `weights` was reached. */
  worst: string;
  /** Ops the plan fused away (ReLUs and Adds). */
  fused: number;
  /** Tensors the compiled steps left alive beyond the optimizer's slots (must be 0). */
  leaked: number;
}

const STEPS = 3;

function build(c: CompiledCase): LayerModel {
  const model = createModel(c.model, { seed: 3, ...c.options });
  perturbBatchNorms(model.layers, new Rng(11));
  // Parameters are created on first use: create them now, so that tensor counts see only what a step leaves.
  for (const p of model.parameters()) void p.value;
  return model;
}

/** The model with every layer run on its own (ctx.fuse false). */
function layerByLayer(m: Model): Model {
  return Object.create(m, { forward: { value: (x: Tensor, ctx: ForwardContext) => m.forward(x, { ...ctx, fuse: false }) } }) as Model;
}

/** Loss of each step and the tensors the steps left alive beyond the optimizer's slots. */
async function trainThree(model: Model, c: CompiledCase): Promise<{ losses: number[]; left: number }> {
  const rng = new Rng(12);
  const x = tensor(rng.normal(c.batch * model.inputShape.reduce((a, b) => a * b, 1)), [c.batch, ...model.inputShape]);
  const labels = Int32Array.from({ length: c.batch }, () => rng.int(model.outputShape[0]!));
  const optimizer = new Sgd({ lr: 0.02, momentum: 0.9 });
  const start = memory().tensors;
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) losses.push((await trainStep(model, optimizer, x, labels, { rng: new Rng(40 + s) })).loss);
  const left = memory().tensors - start - optimizer.slots().size;
  optimizer.dispose();
  x.dispose();
  return { losses, left };
}

/** Trains every case eagerly and compiled on a fresh backend from `createBackend`. */
export async function compiledTrainingCheck(createBackend: () => AnyBackend | Promise<AnyBackend>, cases: readonly CompiledCase[] = COMPILED_CASES): Promise<CompiledTrainingResult[]> {
  await setBackend(await createBackend());
  const results: CompiledTrainingResult[] = [];
  for (const c of cases) {
    const eager = build(c);
    const source = build(c);
    const compiled = await compile(source, { mode: 'training' });
    const a = await trainThree(layerByLayer(eager), c);
    const b = await trainThree(compiled, c);
    const loss = Math.max(...a.losses.map((l, s) => Math.abs(b.losses[s]! - l) / Math.abs(l)));
    let weights = 0;
    let worst = '';
    const tuned = source.parameters();
    for (const [i, p] of eager.parameters().entries()) {
      const r = await maxRelative(tuned[i]!.value, p.value);
      if (!(r <= weights)) [weights, worst] = [r, p.name];
    }
    results.push({ model: c.model, loss: Number.isNaN(loss) ? Infinity : loss, weights, worst, fused: compiled.plan.rewrites.length, leaked: b.left - a.left });
    compiled.dispose();
    eager.dispose();
    source.dispose();
  }
  return results;
}

/** Throws naming every model whose compiled training strays past `rtol` or that leaked. */
export function expectCompiledTrainingAgreement(results: readonly CompiledTrainingResult[], rtol = 1e-3): void {
  const bad = results.filter((r) => !(r.loss <= rtol) || !(r.weights <= rtol) || r.leaked !== 0);
  if (bad.length > 0) {
    const lines = bad.map((r) => `${r.model}: loss ${r.loss.toExponential(3)}, weights ${r.weights.toExponential(3)} (${r.worst}) (rtol ${rtol}), leaked ${r.leaked}`);
    throw new Error(`compiled vs eager training disagree:\n${lines.join('\n')}`);
  }
}

/**
 * Defines the compiled-vs-eager training test for one backend: call it at the top level of the backend's test
 * file. `cases` narrows the zoo where a backend is slow (a CPU WebGPU renderer); ResNet-20 must stay in.
 */
export function runCompiledTrainingConformance(
  label: string,
  createBackend: () => AnyBackend | Promise<AnyBackend>,
  options: { rtol?: number; cases?: readonly CompiledCase[] } = {},
): void {
  const cases = options.cases ?? COMPILED_CASES;
  it(`compiled training matches eager for ${cases === COMPILED_CASES ? 'every zoo model' : cases.map((c) => c.model).join(', ')} on ${label}`, async () => {
    const results = await compiledTrainingCheck(createBackend, cases);
    const resnet = results.find((r) => r.model === 'resnet20');
    if (results.length !== cases.length || !resnet || !(resnet.fused > 0)) {
      throw new Error(`compiled training check: expected every case run and ResNet-20 fused, got ${JSON.stringify(results)}`);
    }
    expectCompiledTrainingAgreement(results, options.rtol);
  }, 900_000);
}
