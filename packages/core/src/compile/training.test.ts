import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { Rng } from '../random/philox.js';
import { Conv2D } from '../layers/conv.js';
import { Dense, Dropout, Flatten, ReLU } from '../layers/core.js';
import { BatchNorm1D, BatchNorm2D } from '../layers/normalization.js';
import { Layer, type Shape } from '../layers/layer.js';
import { Add } from '../layers/merge.js';
import { graph, sequential } from '../models/model.js';
import type { ForwardContext, Model } from '../models/types.js';
import { createModel } from '../models/zoo/index.js';
import { resnet20 } from '../models/zoo/resnet.js';
import { Sgd } from '../train/optimizers.js';
import { trainStep } from '../train/step.js';
import { compile } from './compiled-model.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

/** Largest |a - b| over the largest |b|. */
async function relativeError(a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let diff = 0;
  let scale = 0;
  y.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(x[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return Number.isNaN(diff) ? Infinity : diff / (scale || 1);
}

interface Trajectory {
  losses: number[];
  /** Tensors alive after the steps minus before (optimizer slots only). */
  grown: number;
}

/** Three SGD-momentum steps on one fixed batch, dropout drawn from a per-step seed. */
async function train(model: Model, batch: number, classes: number): Promise<Trajectory> {
  const rng = new Rng(21);
  const x = tensor(rng.normal(batch * model.inputShape.reduce((a, b) => a * b, 1)), [batch, ...model.inputShape]);
  const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
  const optimizer = new Sgd({ lr: 0.02, momentum: 0.9 });
  // Parameters are created on first use: create them before counting.
  model.parameters().forEach((p) => p.value);
  const before = memory().tensors;
  const losses: number[] = [];
  for (let s = 0; s < 3; s++) losses.push((await trainStep(model, optimizer, x, labels, { rng: new Rng(100 + s) })).loss);
  const grown = memory().tensors - before - optimizer.slots().size;
  optimizer.dispose();
  x.dispose();
  return { losses, grown };
}

/** The model with every layer run on its own (ctx.fuse false): eager training without the training plan's fusions. */
function layerByLayer(m: Model): Model {
  return Object.create(m, { forward: { value: (x: Tensor, ctx: ForwardContext) => m.forward(x, { ...ctx, fuse: false }) } }) as Model;
}

/** Every zoo model at the zoo test's reduced sizes (batch 2: batch norm needs two values per channel). */
const ZOO: readonly { model: string; options: Record<string, unknown>; batch: number }[] = [
  { model: 'lenet5', options: {}, batch: 2 },
  { model: 'ccpccp', options: {}, batch: 2 },
  { model: 'cnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'stridedCnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'convPoolCnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'allCnnC', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'alexnet', options: { numClasses: 10, hiddenUnits: 32, inputShape: [3, 64, 64] }, batch: 1 },
  { model: 'vgg11', options: { numClasses: 10, hiddenUnits: 32, inputShape: [3, 32, 32] }, batch: 1 },
  { model: 'vgg16', options: { numClasses: 10, hiddenUnits: 32, inputShape: [3, 32, 32] }, batch: 1 },
  { model: 'googlenet', options: { numClasses: 10, inputShape: [3, 64, 64] }, batch: 2 },
  { model: 'resnet20', options: { inputShape: [3, 16, 16] }, batch: 2 },
  { model: 'resnet18', options: { numClasses: 10, inputShape: [3, 32, 32] }, batch: 2 },
];

describe('compile (training)', () => {
  it.each(ZOO)('$model: three steps compiled give the layer-by-layer eager pass\'s losses, weights and running statistics', async ({ model, options, batch }) => {
    const eager = createModel(model, { seed: 3, ...options });
    const source = createModel(model, { seed: 3, ...options });
    const logs: string[] = [];
    const compiled = await compile(source, { mode: 'training', log: (l) => logs.push(l) });
    expect(logs).toEqual([]);
    const classes = eager.outputShape[0]!;
    const [a, b] = [await train(layerByLayer(eager), batch, classes), await train(compiled, batch, classes)];
    expect(b.grown).toBe(0);
    expect(a.grown).toBe(0);
    a.losses.forEach((l, s) => expect(Math.abs(b.losses[s]! - l) / Math.abs(l)).toBeLessThan(1e-5));
    const [pa, pb] = [eager.parameters(), compiled.parameters()];
    expect(pb.map((p) => p.name)).toEqual(pa.map((p) => p.name));
    for (const [i, p] of pa.entries()) {
      const err = await relativeError(pb[i]!.value, p.value);
      if (!(err < 1e-5)) throw new Error(`${model}: parameter ${p.name} differs by ${err} relative after 3 steps`);
    }
    eager.dispose();
    source.dispose();
  }, 300_000);

  it('fuses every ReLU after a batch norm and each residual Add of ResNet-20, in the model\'s layer order', async () => {
    const m = resnet20({ seed: 1, inputShape: [3, 16, 16] });
    const c = await compile(m, { mode: 'training' });
    // 19 batch norms read by a ReLU (stem, 9 x bn1 -> relu1, 9 x add -> relu2) and 9 Adds.
    expect(c.plan.rewrites.filter((r) => r.includes('as its residual'))).toHaveLength(9);
    expect(c.plan.rewrites).toHaveLength(28);
    expect(c.plan.rewrites).toContain("layer 'layer2.0.add' (Add): fused into layer 'layer2.0.downsample.1' (BatchNorm2D) as its residual");
    expect(c.plan.steps).toHaveLength(m.layers.length - 28);
    expect(c.plan.steps.filter((s) => s.kind === 'fused').every((s) => s.layer instanceof BatchNorm2D)).toBe(true);
    const order = c.plan.steps.map((s) => m.layers.indexOf(s.layer));
    expect(order).toEqual([...order].sort((p, q) => p - q));
    const freed = c.plan.freeAfter.flat();
    expect(new Set(freed)).toEqual(new Set(c.plan.steps.map((s) => s.output).filter((v) => v !== c.plan.output)));
    expect(c.summary()).toContain(`Compiled for training: ${c.plan.steps.length} steps (eager: ${m.layers.length})`);
    m.dispose();
  });

  it('fuses ReLUs into Conv2D and Dense epilogues, keeps shared values unfused and evaluates through the source', async () => {
    const m = sequential([3, 6, 6], [
      new Conv2D({ filters: 4, kernelSize: 3, padding: 1 }),
      new ReLU(),
      new Dropout({ rate: 0.5 }),
      new Flatten(),
      new Dense({ units: 5 }),
      new BatchNorm1D(),
      new ReLU(),
      new Dense({ units: 3 }),
    ], { seed: 4 });
    const c = await compile(m, { mode: 'training' });
    expect(c.plan.steps.map((s) => (s.kind === 'fused' ? `${s.layer.type}+${s.activation}` : s.layer.type))).toEqual([
      'Conv2D+relu', 'Dropout', 'Flatten', 'Dense', 'BatchNorm1D+relu', 'Dense',
    ]);
    const x = tensor(new Rng(3).normal(2 * 108), [2, 3, 6, 6]);
    const [y, e] = [c.forward(x, { training: false, rng: new Rng(0) }), m.forward(x, { training: false, rng: new Rng(0) })];
    expect(Array.from(await y.data())).toEqual(Array.from(await e.data()));
    const p = c.predict(x);
    expect(Array.from(await p.data())).toEqual(Array.from(await e.data()));
    // A batch norm whose output two layers read stays a step of its own (its output must exist).
    const g = graph([4]);
    const d = g.add(new Dense({ units: 4 }), g.input);
    const bn = g.add(new BatchNorm1D(), d);
    const r = g.add(new ReLU(), bn);
    const out = g.add(new Add(), [r, bn]);
    const shared = g.build(out, { seed: 1 });
    const cs = await compile(shared, { mode: 'training' });
    expect(cs.plan.steps.map((s) => s.kind)).toEqual(['layer', 'layer', 'layer', 'layer']);
    [y, e, p, x].forEach((t) => t.dispose());
    shared.dispose();
    m.dispose();
  });

  it('runs an unknown layer type as it is, with a logged reason, and rejects bad use naming the argument', async () => {
    class Twice extends Layer {
      readonly type = 'Twice';
      protected computeOutputShape([s]: readonly Shape[]): Shape {
        return s!;
      }
      call([x]: readonly Tensor[]): Tensor {
        return x!;
      }
      getConfig(): Record<string, unknown> {
        return {};
      }
    }
    const m = sequential([2], [new Dense({ units: 3 }), new Twice(), new Dense({ units: 2 })], { seed: 2 });
    const logs: string[] = [];
    const c = await compile(m, { mode: 'training', log: (l) => logs.push(l) });
    expect(logs).toEqual(["layer 'twice_1' (Twice): no compiled form for this layer type; it runs its own forward pass"]);
    const x = tensor(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const before = memory().tensors;
    const y = c.forward(x, { training: true, rng: new Rng(0) });
    expect(memory().tensors).toBe(before + 1);
    expect(() => c.forward(tensor(new Float32Array(3), [1, 3]), { training: true, rng: new Rng(0) })).toThrow(/input shape is \[1,3\] but expected \[batch, 2\]/);
    const other = await createCpuBackend();
    await expect(compile(m, { mode: 'training', backend: other })).rejects.toThrow(/backend of parameter 'dense_1.weight' is 'cpu-js' but expected 'cpu-js', the backend compiled for/);
    await expect(compile(m, { mode: 'training', fuseResidual: 1 as never })).rejects.toThrow(/fuseResidual is 1/);
    c.dispose();
    expect(() => c.forward(x, { training: true, rng: new Rng(0) })).toThrow(/disposed/);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });
});
