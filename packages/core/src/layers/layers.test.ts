import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { memory, setBackend, tidy } from '../engine.js';
import { tensor } from '../ops/create.js';
import { valueAndGrads } from '../autograd/tape.js';
import { sum } from '../ops/reduce.js';
import { add, mul, mulScalar } from '../ops/elementwise.js';
import { batchNorm } from '../ops/normalization.js';
import { Rng } from '../random/philox.js';
import { Sequential, graph } from '../models/model.js';
import {
  AdaptiveAvgPool2D,
  Add,
  AvgPool1D,
  AvgPool2D,
  BatchNorm1D,
  BatchNorm2D,
  Concat,
  Conv1D,
  Conv2D,
  Dense,
  Dropout,
  ELU,
  Flatten,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalMaxPool2D,
  LeakyReLU,
  MaxPool1D,
  MaxPool2D,
  ReLU,
  Sigmoid,
  Softmax,
  Tanh,
  layerFromJSON,
  layerTypes,
} from './index.js';

const eval0 = { training: false, rng: new Rng(0) };
const train0 = () => ({ training: true, rng: new Rng(7) });

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tol * Math.max(1, Math.abs(expected[i]!))) {
      throw new Error(`index ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

describe('shape inference (no backend needed)', () => {
  const out = (layers: ConstructorParameters<typeof Sequential>[0], inputShape: number[]) =>
    new Sequential(layers, { inputShape }).outputShape;

  it('infers conv, pool and dense shapes with every padding mode', () => {
    expect(out([new Conv2D({ filters: 4, kernelSize: 3 })], [2, 9, 9])).toEqual([4, 7, 7]);
    expect(out([new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', stride: 2 })], [2, 9, 9])).toEqual([4, 5, 5]);
    expect(out([new Conv2D({ filters: 4, kernelSize: [3, 1], padding: [0, 2, 1, 0] })], [2, 9, 9])).toEqual([4, 9, 10]);
    expect(out([new Conv2D({ filters: 4, kernelSize: 3, dilation: 2, groups: 2 })], [2, 9, 9])).toEqual([4, 5, 5]);
    expect(out([new MaxPool2D({ window: 3, stride: 2, ceilMode: true })], [1, 8, 8])).toEqual([1, 4, 4]);
    expect(out([new MaxPool2D({ window: 3, stride: 2 })], [1, 8, 8])).toEqual([1, 3, 3]);
    expect(out([new AvgPool2D({ window: 2, padding: 1, countIncludePad: false })], [3, 5, 5])).toEqual([3, 3, 3]);
    expect(out([new Conv1D({ filters: 5, kernelSize: 3, padding: [2, 0], stride: 2 })], [3, 10])).toEqual([5, 5]);
    expect(out([new MaxPool1D({ window: 2 }), new AvgPool1D({ window: 2, ceilMode: true })], [3, 10])).toEqual([3, 3]);
    expect(out([new GlobalAvgPool1D()], [3, 10])).toEqual([3]);
    expect(out([new GlobalMaxPool2D()], [3, 4, 4])).toEqual([3]);
    expect(out([new Flatten(), new Dense({ units: 7 })], [3, 4, 4])).toEqual([7]);
    expect(out([new AdaptiveAvgPool2D({ outputSize: [2, 3] })], [5, 7, 7])).toEqual([5, 2, 3]);
  });

  it('fails at build time with the layer, its input shape and the reason', () => {
    expect(() => out([new Conv2D({ name: 'c1', filters: 4, kernelSize: 3 }), new Conv2D({ name: 'big', filters: 2, kernelSize: 9 })], [1, 8, 8])).toThrow(
      /layer 'big' \(Conv2D\) with input shape \[4,6,6\]: conv2d: filter window is \[9,9\] but expected at most the padded input 6x6/,
    );
    expect(() => out([new Dense({ name: 'fc', units: 3 })], [3, 4, 4])).toThrow(/layer 'fc' \(Dense\).*rank 1 \[features\].*Flatten/);
    expect(() => out([new Conv2D({ filters: 4, kernelSize: 3, groups: 3 })], [4, 8, 8])).toThrow(/groups is 3 but expected a divisor/);
    expect(() => out([new MaxPool2D({ window: 2, padding: 2 })], [1, 8, 8])).toThrow(/padding is 2 but expected at most half the window/);
    expect(() => out([new BatchNorm2D()], [4, 8])).toThrow(/BatchNorm2D.*rank 3/);
    expect(() => new Conv2D({ filters: 0, kernelSize: 3 })).toThrow(/filters is 0 but expected a positive integer/);
    expect(() => new Dropout({ rate: 1 })).toThrow(/rate is 1 but expected a number in \[0, 1\)/);
    expect(() => new Conv2D({ filters: 1, kernelSize: 1, kernelInit: 'kaiming' as never })).toThrow(/kernelInit is 'kaiming' but expected one of 'pytorch'/);
  });

  it('Add and Concat check their inputs when the graph is wired', () => {
    const g = graph([4, 8, 8]);
    const a = g.add(new Conv2D({ name: 'a', filters: 6, kernelSize: 3, padding: 1 }), g.input);
    const b = g.add(new Conv2D({ name: 'b', filters: 6, kernelSize: 3 }), g.input);
    expect(() => g.add(new Add({ name: 'sum' }), [a, b])).toThrow(/layer 'sum' \(Add\).*input 1 shape is \[6,6,6\] but expected \[6,8,8\]/);
    expect(() => g.add(new Concat({ name: 'cat' }), [a, b])).toThrow(/input 1 shape is \[6,6,6\] but expected \[\*,8,8\]/);
    const c = g.add(new Conv2D({ name: 'c', filters: 2, kernelSize: 1 }), g.input);
    expect(g.add(new Concat({ name: 'cat2' }), [a, c]).shape).toEqual([8, 8, 8]);
    expect(g.add(new Concat({ name: 'cat3', axis: 3 }), [a, a]).shape).toEqual([6, 8, 16]);
    expect(() => g.add(new Add({ name: 'one' }), a)).toThrow(/number of inputs is 1 but expected 2 to any number/);
    expect(() => g.add(new ReLU({ name: 'a' }), c)).toThrow(/layer name is 'a' but expected a name not used/);
  });

  it('declares PyTorch parameter shapes', () => {
    const m = new Sequential(
      [new Conv2D({ name: 'conv', filters: 8, kernelSize: [3, 5], groups: 2 }), new BatchNorm2D({ name: 'bn' }), new Flatten(), new Dense({ name: 'fc', units: 3, useBias: false })],
      { inputShape: [4, 6, 6] },
    );
    expect(m.parameters().map((p) => [p.name, [...p.shape], p.trainable])).toEqual([
      ['conv.weight', [8, 2, 3, 5], true],
      ['conv.bias', [8], true],
      ['bn.weight', [8], true],
      ['bn.bias', [8], true],
      ['bn.runningMean', [8], false],
      ['bn.runningVar', [8], false],
      ['fc.weight', [3, 8 * 4 * 2], true],
    ]);
    expect(m.countParams()).toEqual({ trainable: 8 * 2 * 15 + 8 + 16 + 3 * 64, nonTrainable: 16, total: 8 * 2 * 15 + 8 + 16 + 3 * 64 + 16 });
  });

  it('round-trips every layer type through JSON and names unknown types', () => {
    const layers = [
      new Conv2D({ filters: 3, kernelSize: 3, stride: [2, 1], padding: [1, 0, 2, 1], dilation: 1, activation: 'relu', kernelInit: 'heNormal' }),
      new MaxPool2D({ window: 3, stride: 1, padding: 1, ceilMode: true }),
      new AvgPool2D({ window: 2, countIncludePad: false }),
      new LeakyReLU({ alpha: 0.2 }),
      new ELU({ alpha: 0.5 }),
      new Tanh(),
      new Sigmoid(),
      new BatchNorm2D({ momentum: 0.3, epsilon: 1e-3 }),
      new Dropout({ rate: 0.25 }),
      new AdaptiveAvgPool2D({ outputSize: 2 }),
      new GlobalAvgPool2D(),
      new Dense({ units: 4, useBias: false }),
      new Softmax(),
    ];
    for (const l of layers) {
      const json = l.toJSON();
      expect(layerFromJSON(JSON.parse(JSON.stringify(json))).toJSON()).toEqual(json);
    }
    expect(() => layerFromJSON({ type: 'Conv3D' })).toThrow(/type is 'Conv3D' but expected a known layer type: Conv1D, Conv2D, .*Concat/);
    expect(layerTypes()).toEqual(expect.arrayContaining(['BatchNorm1D', 'GlobalMaxPool1D', 'AdaptiveAvgPool2D', 'ReLU']));
  });
});

describe('initialisation', () => {
  it('matches PyTorch default statistics: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias', async () => {
    await setBackend(await createCpuBackend());
    const m = new Sequential([new Conv2D({ name: 'c', filters: 64, kernelSize: 3 }), new Flatten(), new Dense({ name: 'fc', units: 10 })], { inputShape: [32, 5, 5], seed: 3 });
    for (const [name, fanIn] of [['c.weight', 32 * 9], ['c.bias', 32 * 9], ['fc.weight', 64 * 9], ['fc.bias', 64 * 9]] as const) {
      const v = await m.parameters().find((p) => p.name === name)!.value.data();
      const bound = 1 / Math.sqrt(fanIn);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      if (v.length > 1000) {
        expect(Math.abs(mean)).toBeLessThan(0.05 * bound);
        expect(std / (bound / Math.sqrt(3))).toBeGreaterThan(0.97);
        expect(std / (bound / Math.sqrt(3))).toBeLessThan(1.03);
      }
    }
    m.dispose();
  });

  it('same seed gives the same weights, whatever order parameters are first read in; another seed differs', async () => {
    const make = (seed: number) => new Sequential([new Conv2D({ name: 'c', filters: 4, kernelSize: 3 }), new Flatten(), new Dense({ name: 'fc', units: 3 })], { inputShape: [2, 5, 5], seed });
    const a = make(11);
    const b = make(11);
    const c = make(12);
    const bFc = await b.parameters()[2]!.value.data();
    const aAll = await Promise.all(a.parameters().map((p) => p.value.data()));
    const bAll = await Promise.all(b.parameters().map((p) => p.value.data()));
    expect(aAll).toEqual(bAll);
    expect(aAll[2]).toEqual(bFc);
    expect(await c.parameters()[0]!.value.data()).not.toEqual(aAll[0]);
    const kaiming = new Sequential([new Conv2D({ name: 'c', filters: 64, kernelSize: 3, kernelInit: 'heNormalFanOut' })], { inputShape: [16, 3, 3], seed: 1 });
    const w = await kaiming.parameters()[0]!.value.data();
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std / Math.sqrt(2 / (64 * 9))).toBeGreaterThan(0.95);
    expect(std / Math.sqrt(2 / (64 * 9))).toBeLessThan(1.05);
    expect(await kaiming.parameters()[1]!.value.data()).toEqual(new Float32Array(64));
    for (const m of [a, b, c, kaiming]) m.dispose();
  });
});

describe('layer forward passes on cpu-js', () => {
  beforeAll(async () => {
    await setBackend(await createCpuBackend());
  });

  it('Dense computes x W^T + b with PyTorch weight layout', async () => {
    const m = new Sequential([new Dense({ name: 'fc', units: 2 })], { inputShape: [3] });
    const [w, b] = m.parameters();
    w!.value = tensor([1, 2, 3, -1, 0, 1], [2, 3]);
    b!.value = tensor([0.5, -0.5], [2]);
    const y = m.forward(tensor([1, 1, 1, 2, 0, -1], [2, 3]));
    expect(Array.from(await y.data())).toEqual([6.5, -0.5, -0.5, -3.5]);
    y.dispose();
    m.dispose();
  });

  it('Conv1D matches a direct loop (stride, asymmetric padding, dilation)', async () => {
    const m = new Sequential([new Conv1D({ name: 'c', filters: 2, kernelSize: 2, stride: 2, padding: [1, 0], dilation: 2 })], { inputShape: [1, 6], seed: 2 });
    const x = [1, 2, 3, 4, 5, 6];
    const [w, b] = await Promise.all(m.parameters().map((p) => p.value.data()));
    const y = m.forward(tensor(x, [1, 1, 6]));
    expect(y.shape).toEqual([1, 2, 3]);
    const expected: number[] = [];
    for (let o = 0; o < 2; o++) {
      for (let t = 0; t < 3; t++) {
        let s = b![o]!;
        for (let k = 0; k < 2; k++) {
          const i = t * 2 - 1 + k * 2;
          if (i >= 0 && i < 6) s += w![o * 2 + k]! * x[i]!;
        }
        expected.push(s);
      }
    }
    close(await y.data(), expected);
    y.dispose();
    m.dispose();
  });

  it('AdaptiveAvgPool2D matches PyTorch bins, including overlapping and upsampling cases, with gradients', async () => {
    const values = Array.from({ length: 25 }, (_, i) => i * 0.5 - 3);
    const check = async (h: number, w: number, oh: number, ow: number) => {
      const m = new Sequential([new AdaptiveAvgPool2D({ outputSize: [oh, ow] })], { inputShape: [1, h, w] });
      const x = tensor(values.slice(0, h * w), [1, 1, h, w]);
      const y = m.forward(x);
      const expected: number[] = [];
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const [h0, h1] = [Math.floor((i * h) / oh), Math.ceil(((i + 1) * h) / oh)];
          const [w0, w1] = [Math.floor((j * w) / ow), Math.ceil(((j + 1) * w) / ow)];
          let s = 0;
          for (let a = h0; a < h1; a++) for (let c = w0; c < w1; c++) s += values[a * w + c]!;
          expected.push(s / ((h1 - h0) * (w1 - w0)));
        }
      }
      close(await y.data(), expected);
      // Gradient of sum(y): each input cell gets 1/|bin| for every bin holding it.
      const { value, grads } = valueAndGrads(() => sum(m.forward(x)), [x]);
      const g = await grads[0]!.data();
      expect(g.reduce((s, v) => s + v, 0)).toBeCloseTo(oh * ow, 4);
      [x, y, value, ...grads].forEach((t) => t.dispose());
    };
    await check(5, 5, 3, 3);
    await check(4, 4, 2, 2);
    await check(1, 1, 2, 3);
    await check(3, 5, 3, 5);
  });

  it('activations, softmax and global pools compute what they say', async () => {
    const x = tensor([-2, -0.5, 0, 1.5], [1, 4]);
    const run = async (layer: ConstructorParameters<typeof Sequential>[0][number]) => {
      const m = new Sequential([layer], { inputShape: [4] });
      const y = m.forward(x);
      const d = Array.from(await y.data());
      y.dispose();
      return d;
    };
    close(await run(new ReLU()), [0, 0, 0, 1.5]);
    close(await run(new LeakyReLU({ alpha: 0.1 })), [-0.2, -0.05, 0, 1.5]);
    close(await run(new ELU({ alpha: 2 })), [2 * Math.expm1(-2), 2 * Math.expm1(-0.5), 0, 1.5]);
    close(await run(new Tanh()), [-2, -0.5, 0, 1.5].map(Math.tanh));
    close(await run(new Sigmoid()), [-2, -0.5, 0, 1.5].map((v) => 1 / (1 + Math.exp(-v))));
    const e = [-2, -0.5, 0, 1.5].map(Math.exp);
    close(await run(new Softmax()), e.map((v) => v / e.reduce((a, b) => a + b)));
    x.dispose();
    const img = tensor([1, 5, 3, 2, -1, -4, 0, 8], [1, 2, 2, 2]);
    const gap = new Sequential([new GlobalAvgPool2D()], { inputShape: [2, 2, 2] }).forward(img);
    const gmp = new Sequential([new GlobalMaxPool2D()], { inputShape: [2, 2, 2] }).forward(img);
    close(await gap.data(), [2.75, 0.75]);
    close(await gmp.data(), [5, 8]);
    [img, gap, gmp].forEach((t) => t.dispose());
  });

  it('Dropout is the identity in evaluation and inverted dropout in training', async () => {
    const m = new Sequential([new Dropout({ rate: 0.5 })], { inputShape: [1000] });
    const x = tensor(new Float32Array(1000).fill(1), [1, 1000]);
    expect(m.forward(x, eval0)).toBe(x);
    const y = await m.forward(x, train0()).data();
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(kept.length).toBeGreaterThan(430);
    expect(kept.length).toBeLessThan(570);
    x.dispose();
  });

  it('BatchNorm2D: batch statistics and PyTorch running-stat update in training, running stats in evaluation', async () => {
    const m = new Sequential([new BatchNorm2D({ name: 'bn', momentum: 0.1 })], { inputShape: [2, 1, 3] });
    // channel 0: 1, 2, 6, 3, 4, 8 -> mean 4, squared deviations sum 34 (unbiased var 34/5); channel 1: all 5
    const x = tensor([1, 2, 6, 5, 5, 5, 3, 4, 8, 5, 5, 5], [2, 2, 1, 3]);
    const params = m.parameters();
    params.forEach((p) => p.value);
    const before = memory().tensors;
    const trainable = params.filter((p) => p.trainable).map((p) => p.value);
    const { value, grads } = valueAndGrads(() => sum(mul(m.forward(x, train0()), x)), trainable);
    const rm = await params[2]!.value.data();
    const rv = await params[3]!.value.data();
    close(rm, [0.1 * 4, 0.1 * 5]);
    close(rv, [0.9 + 0.1 * (34 / 5), 0.9]);
    // the running tensors survived the valueAndGrads scope and the old ones were freed
    expect(memory().tensors).toBe(before + 1 + grads.length);
    expect(params[2]!.value.isDisposed).toBe(false);
    value.dispose();
    grads.forEach((g) => g.dispose());
    const y = await m.forward(x, eval0).data();
    const inv0 = 1 / Math.sqrt(rv[0]! + 1e-5);
    close(y.slice(0, 3), [1, 2, 6].map((v) => (v - rm[0]!) * inv0), 1e-4);
    expect(() => m.forward(tensor([1, 2], [1, 2, 1, 1]) as never, train0())).toThrow(/input shape/);
    const bn1 = new Sequential([new BatchNorm1D({ name: 'bn' })], { inputShape: [3] });
    expect(() => bn1.forward(tensor([1, 2, 3], [1, 3]), train0())).toThrow(/more than one value per channel/);
    x.dispose();
    m.dispose();
    bn1.dispose();
  });

  it('BatchNorm2D: the in-kernel running update equals, bit for bit, the element-wise ops it replaced', async () => {
    const m = new Sequential([new BatchNorm2D({ name: 'bn', momentum: 0.1 })], { inputShape: [3, 4, 5] });
    const rng = new Rng(11);
    const x = tensor(Float32Array.from(rng.uniform(6 * 3 * 4 * 5, -2, 3)), [6, 3, 4, 5]);
    const [gamma, beta, runningMean, runningVar] = m.parameters();
    runningMean!.value = tensor(Float32Array.from(rng.uniform(3, -1, 1)), [3]);
    runningVar!.value = tensor(Float32Array.from(rng.uniform(3, 0.5, 2)), [3]);
    const count = 6 * 4 * 5;
    for (let step = 0; step < 3; step++) {
      const [wantMean, wantVar] = tidy(() => {
        const { mean, variance } = batchNorm(x, gamma!.value, beta!.value, { training: true });
        return [
          add(mulScalar(runningMean!.value, 1 - 0.1), mulScalar(mean!, 0.1)),
          add(mulScalar(runningVar!.value, 1 - 0.1), mulScalar(variance!, (0.1 * count) / (count - 1))),
        ];
      });
      tidy(() => m.forward(x, train0()));
      expect(Array.from(await runningMean!.value.data())).toEqual(Array.from(await wantMean!.data()));
      expect(Array.from(await runningVar!.value.data())).toEqual(Array.from(await wantVar!.data()));
      wantMean!.dispose();
      wantVar!.dispose();
    }
    x.dispose();
    m.dispose();
  });

  it('a residual graph runs forward and backward without leaking tensors', async () => {
    const before = memory().tensors;
    const g = graph([2, 6, 6]);
    const a = g.add(new Conv2D({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), g.input);
    const b = g.add(new Conv2D({ name: 'b', filters: 4, kernelSize: 3, padding: 1 }), a);
    const s = g.add(new Add({ name: 'sum' }), [a, b]);
    const c = g.add(new Concat({ name: 'cat' }), [s, a]);
    const p = g.add(new AvgPool2D({ name: 'pool', window: 3, stride: 2, padding: 1, countIncludePad: false }), c);
    const out = g.add(new Dense({ name: 'fc', units: 3 }), g.add(new Flatten({ name: 'flat' }), p));
    const m = g.build(out, { seed: 4 });
    const x = tensor(new Rng(1).normal(2 * 72), [2, 2, 6, 6]);
    const params = m.parameters().map((q) => q.value);
    const { value, grads } = tidy(() => valueAndGrads(() => sum(m.forward(x, train0())), params));
    expect(grads.map((t) => t.shape)).toEqual(params.map((t) => t.shape));
    expect((await grads[0]!.data()).some((v) => v !== 0)).toBe(true);
    [value, ...grads, x].forEach((t) => t.dispose());
    const y = m.forward(tensor(new Float32Array(72), [1, 2, 6, 6]));
    expect(y.shape).toEqual([1, 3]);
    y.dispose();
    m.dispose();
    // the zero input above is the only tensor not disposed explicitly
    expect(memory().tensors).toBe(before + 1);
  });
});
