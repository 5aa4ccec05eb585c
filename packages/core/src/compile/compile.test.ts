import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { getBackend, memory, setBackend, type Tensor } from '../engine.js';
import { tensor } from '../ops/create.js';
import { Rng } from '../random/philox.js';
import { Conv2D } from '../layers/conv.js';
import { Dense, Dropout, Flatten, ReLU } from '../layers/core.js';
import { BatchNorm1D, BatchNorm2D } from '../layers/normalization.js';
import { AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool2D } from '../layers/pool.js';
import { Layer } from '../layers/layer.js';
import { Add } from '../layers/merge.js';
import { graph, sequential, type LayerModel } from '../models/model.js';
import { resnet20 } from '../models/zoo/resnet.js';
import { predict } from '../train/evaluate.js';
import { compile } from './compiled-model.js';
import { foldBatchNorm } from './fold.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

/** Conv -> BN -> ReLU -> Dropout -> Flatten -> Dense -> BN1D -> ReLU -> Dense, with non-trivial statistics. */
function smallModel(extra: Layer[] = []): LayerModel {
  const m = sequential([3, 6, 6], [
    new Conv2D({ filters: 4, kernelSize: 3, padding: 1, useBias: false }),
    new BatchNorm2D(),
    new ReLU(),
    new Dropout({ rate: 0.5 }),
    ...extra,
    new Flatten(),
    new Dense({ units: 5 }),
    new BatchNorm1D({ epsilon: 1e-3 }),
    new ReLU(),
    new Dense({ units: 3 }),
  ], { seed: 4 });
  const rng = new Rng(8);
  for (const p of m.parameters()) {
    if (p.name.endsWith('runningVar')) p.value = tensor(rng.uniform(p.value.size).map((u) => 0.3 + u), p.value.shape);
    else if (p.name.includes('batch_norm')) p.value = tensor(rng.normal(p.value.size), p.value.shape);
  }
  return m;
}

async function relativeError(a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  const scale = Math.max(...Array.from(y, Math.abs));
  return Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i]!))) / scale;
}

describe('foldBatchNorm', () => {
  it('folds gamma, beta, mean and variance into each output channel, bias included', () => {
    // Two output channels, two weights each.
    const folded = foldBatchNorm(Float32Array.of(1, 2, 3, 4), Float32Array.of(0.5, -1), {
      gamma: Float32Array.of(2, 0.5),
      beta: Float32Array.of(0.1, 0.2),
      mean: Float32Array.of(1, -2),
      variance: Float32Array.of(3, 0.25),
      epsilon: 1,
    });
    // s = [2 / 2, 0.5 / sqrt(1.25)]
    const s1 = 0.5 / Math.sqrt(1.25);
    expect(Array.from(folded.weight)).toEqual(Array.from(Float32Array.of(1, 2, 3 * s1, 4 * s1)));
    expect(folded.bias[0]).toBeCloseTo((0.5 - 1) * 1 + 0.1, 6);
    expect(folded.bias[1]).toBeCloseTo((-1 + 2) * s1 + 0.2, 6);
  });
});

describe('compile (inference)', () => {
  it('folds both batch norms, fuses both ReLUs, removes dropout and matches eager', async () => {
    const m = smallModel();
    const logs: string[] = [];
    const c = await compile(m, { mode: 'inference', log: (l) => logs.push(l) });
    expect(c.plan.rewrites).toHaveLength(5);
    expect(c.plan.rewrites.filter((r) => r.includes('folded'))).toHaveLength(2);
    expect(c.plan.rewrites.filter((r) => r.includes('fused'))).toHaveLength(2);
    expect(c.plan.steps.map((s) => s.kind)).toEqual(['fused', 'layer', 'fused', 'layer']);
    expect(logs).toEqual([]);
    const x = tensor(new Rng(1).normal(2 * 108), [2, 3, 6, 6]);
    const eager = m.forward(x, { training: false, rng: new Rng(0) });
    const before = memory().tensors;
    const y = c.run(x);
    expect(memory().tensors).toBe(before + 1);
    expect(y.shape).toEqual([2, 3]);
    expect(await relativeError(y, eager)).toBeLessThan(1e-5);
    // evaluate / predict take the compiled model like any Model.
    // An empty batch gives an empty batch, as eager does.
    const none = tensor(new Float32Array(0), [0, 3, 6, 6]);
    const empty = c.run(none);
    expect(empty.shape).toEqual([0, 3]);
    [none, empty].forEach((t) => t.dispose());
    // Conv and batch-norm outputs are never both alive any more.
    const profile = await c.profileMemory(x);
    expect(profile.compiledPeakActivationBytes).toBeLessThan(profile.eagerPeakActivationBytes);
    const p = await predict(c, await x.data());
    expect(p.count).toBe(2);
    [x, y, eager].forEach((t) => t.dispose());
    c.dispose();
    m.dispose();
  });

  it('fuses each residual Add and the ReLU after it into a conv, frees every intermediate after its last reader and never raises the peak bytes above eager on ResNet-20', async () => {
    const m = resnet20({ seed: 1, inputShape: [3, 16, 16] });
    const c = await compile(m, { mode: 'inference' });
    // 21 conv+BN folds (19 convs + 2 projections); 10 ReLUs fused straight after a conv (stem + one per
    // block), 9 Adds as residuals (into conv2, or into the projection conv that comes after it) and the 9
    // block-final ReLUs after them.
    expect(c.plan.rewrites.filter((r) => r.includes('folded'))).toHaveLength(21);
    expect(c.plan.rewrites.filter((r) => r.includes('fused'))).toHaveLength(28);
    expect(c.plan.rewrites.filter((r) => r.includes('as its residual'))).toHaveLength(9);
    expect(c.plan.rewrites).toContain("layer 'layer2.0.add' (Add): fused into the epilogue of layer 'layer2.0.downsample.0' (Conv2D) as its residual");
    // Stem, 9 x (conv1, conv2 + add), 2 projections, pool, dense.
    expect(c.plan.steps).toHaveLength(1 + 18 + 2 + 2);
    const freed = c.plan.freeAfter.flat();
    expect(new Set(freed).size).toBe(freed.length);
    expect(new Set(freed)).toEqual(new Set(c.plan.steps.map((s) => s.output).filter((v) => v !== c.plan.output)));
    const x = tensor(new Rng(2).normal(4 * 768), [4, 3, 16, 16]);
    const start = memory().tensors;
    const profile = await c.profileMemory(x);
    expect(memory().tensors).toBe(start);
    expect(profile.compiledPeakActivationBytes).toBeGreaterThan(0);
    // Both peak at a residual block: eager at the Add (shortcut, branch, sum), fused at conv2 (shortcut,
    // its input, its output): fusing the Add does not lower the peak; only writing the output over a dying
    // shortcut would, which the tiled kernels cannot (they keep partial sums in the output).
    expect(profile.compiledPeakActivationBytes).toBeLessThanOrEqual(profile.eagerPeakActivationBytes);
    // The conv plans made by the first run of a batch size (profileMemory's) serve the later runs; another
    // batch size gets its own.
    const x2 = tensor(new Rng(3).normal(2 * 768), [2, 3, 16, 16]);
    for (const input of [x, x2, x]) {
      const y = c.run(input);
      const e = m.forward(input, { training: false, rng: new Rng(0) });
      expect(y.shape).toEqual([input.shape[0], 10]);
      expect(await relativeError(y, e)).toBeLessThan(1e-5);
      [y, e].forEach((t) => t.dispose());
    }
    [x, x2].forEach((t) => t.dispose());
    c.dispose();
    m.dispose();
  });

  it('fuses an Add into a conv only where that is exact and its other operand already exists', async () => {
    const g = graph([2, 5, 5]);
    // Residual = the model input; the Add is the model output (no ReLU after it).
    const a = g.add(new Conv2D({ name: 'a', filters: 2, kernelSize: 3, padding: 1 }), g.input);
    const s1 = g.add(new Add({ name: 's1' }), [a, g.input]);
    // A conv with its own ReLU: relu(conv) + r is not relu(conv + r), so this Add stays.
    const b = g.add(new Conv2D({ name: 'b', filters: 2, kernelSize: 3, padding: 1, activation: 'relu' }), s1);
    const s2 = g.add(new Add({ name: 's2' }), [b, s1]);
    // x + x: the conv's output is both operands.
    const c2 = g.add(new Conv2D({ name: 'c', filters: 2, kernelSize: 1 }), s2);
    const s3 = g.add(new Add({ name: 's3' }), [c2, c2]);
    // Three operands: not a conv epilogue.
    const d = g.add(new Conv2D({ name: 'd', filters: 2, kernelSize: 1 }), s3);
    const s4 = g.add(new Add({ name: 's4' }), [d, s3, s2]);
    const r = g.add(new ReLU({ name: 'r' }), s4);
    // Operand order does not matter: the shortcut first.
    const e2 = g.add(new Conv2D({ name: 'e', filters: 2, kernelSize: 3, padding: 1 }), r);
    const s5 = g.add(new Add({ name: 's5' }), [r, e2]);
    const out = g.add(new ReLU({ name: 'out' }), s5);
    const m = g.build(out, { seed: 3 });
    const c = await compile(m, { mode: 'inference' });
    expect(c.plan.rewrites.filter((l) => l.includes('as its residual'))).toEqual([
      "layer 's1' (Add): fused into the epilogue of layer 'a' (Conv2D) as its residual",
      "layer 's5' (Add): fused into the epilogue of layer 'e' (Conv2D) as its residual",
    ]);
    expect(c.plan.rewrites).toContain("layer 'out' (ReLU): fused into the epilogue of layer 'e' (Conv2D)");
    // fuseResidual: false keeps every Add as a step.
    const kept = await compile(m, { mode: 'inference', fuseResidual: false });
    expect(kept.plan.rewrites.filter((l) => l.includes('as its residual'))).toEqual([]);
    expect(kept.plan.steps).toHaveLength(c.plan.steps.length + 3);
    await expect(compile(m, { mode: 'inference', fuseResidual: 'no' as never })).rejects.toThrow("compile: fuseResidual is 'no' but expected true or false");
    const x = tensor(new Rng(5).normal(3 * 50), [3, 2, 5, 5]);
    const [y, eager, y2] = [c.run(x), m.forward(x, { training: false, rng: new Rng(0) }), kept.run(x)];
    expect(await relativeError(y, eager)).toBeLessThan(1e-5);
    expect(await relativeError(y2, eager)).toBeLessThan(1e-5);
    [x, y, eager, y2].forEach((t) => t.dispose());
    kept.dispose();
    c.dispose();
    m.dispose();
  });

  it('calls each kernel with the plan of the first run of a batch size on later runs, matching eager across batch sizes and parameter changes', async () => {
    for (const global of [new GlobalAvgPool2D(), new GlobalMaxPool2D()]) {
      // Nothing to fuse: every step is a layer step (conv with its own ReLU, pools, dense).
      const m = sequential([3, 8, 8], [
        new Conv2D({ filters: 4, kernelSize: 3, padding: 1, activation: 'relu' }),
        new MaxPool2D({ window: 2 }),
        new Conv2D({ filters: 5, kernelSize: 3, padding: 1 }),
        new AvgPool2D({ window: 2 }),
        new Conv2D({ filters: 6, kernelSize: 1 }),
        global,
        new Dense({ units: 5, activation: 'relu' }),
        new Dense({ units: 3 }),
      ], { seed: 6 });
      const c = await compile(m, { mode: 'inference' });
      expect(c.plan.steps.every((s) => s.kind === 'layer')).toBe(true);
      const check = async (batch: number, seed: number) => {
        const x = tensor(new Rng(seed).normal(batch * 192), [batch, 3, 8, 8]);
        const before = memory().tensors;
        const y = c.run(x);
        expect(memory().tensors).toBe(before + 1);
        expect(y.shape).toEqual([batch, 3]);
        const e = m.forward(x, { training: false, rng: new Rng(0) });
        expect(await relativeError(y, e)).toBeLessThan(1e-5);
        [x, y, e].forEach((t) => t.dispose());
      };
      for (const [batch, seed] of [[3, 1], [3, 2], [1, 3], [3, 4], [1, 5]] as const) await check(batch, seed);
      // Unfolded layers run with the model's parameters as they are now, on the cached path too.
      const p = m.layers[0]!.param('weight');
      const old = p.value;
      p.value = tensor(new Rng(7).normal(old.size), old.shape);
      old.dispose();
      await check(3, 6);
      c.dispose();
      m.dispose();
    }
  });

  it('runs a layer with no compiled form through its own forward pass and logs why', async () => {
    class Twice extends Layer {
      readonly type = 'Twice';
      protected computeOutputShape([s]: readonly (readonly number[])[]) {
        return s!;
      }
      call([x]: readonly Tensor[]): Tensor {
        return tensor(x!.dataSync().map((v) => 2 * v), x!.shape);
      }
      getConfig() {
        return {};
      }
    }
    const m = smallModel([new Twice({ name: 'twice' })]);
    const logs: string[] = [];
    const c = await compile(m, { mode: 'inference', log: (l) => logs.push(l) });
    expect(logs).toEqual([expect.stringContaining("layer 'twice' (Twice): no compiled form")]);
    const x = tensor(new Rng(3).normal(108), [1, 3, 6, 6]);
    const [y, e] = [c.run(x), m.forward(x, { training: false, rng: new Rng(0) })];
    expect(await relativeError(y, e)).toBeLessThan(1e-5);
    [x, y, e].forEach((t) => t.dispose());
    c.dispose();
    m.dispose();
  });

  it('rejects what it cannot do with errors naming the argument', async () => {
    const m = smallModel();
    await expect(compile(m, { mode: 'serving' as never })).rejects.toThrow(/compile: mode is 'serving' but expected 'inference' or 'training'/);
    await expect(compile({ name: 'x' } as never, { mode: 'inference' })).rejects.toThrow(/compile: model is 'x' but expected a Sequential or graph model/);
    await expect(compile(m, { mode: 'inference', batch: 4 } as never)).rejects.toThrow(/batch/);
    const c = await compile(m, { mode: 'inference' });
    expect(() => c.run(tensor(new Float32Array(27), [1, 3, 3, 3]))).toThrow(/input shape is \[1,3,3,3\] but expected \[batch, 3, 6, 6\]/);
    expect(() => c.forward(tensor(new Float32Array(108), [1, 3, 6, 6]), { training: true, rng: new Rng(0) })).toThrow(/ctx.training/);
    // New weights after compile: never a stale answer.
    const w = m.getLayer('conv2d_1').param('weight');
    w.value = tensor(new Float32Array(w.size), w.shape);
    const x = tensor(new Float32Array(108), [1, 3, 6, 6]);
    expect(() => c.run(x)).toThrow(/parameter 'conv2d_1.weight' changed after compile\(\); compile the model again/);
    c.dispose();
    expect(() => c.run(x)).toThrow(/disposed/);
    expect(getBackend().name).toBe('cpu-js');
    x.dispose();
    m.dispose();
  });
});
