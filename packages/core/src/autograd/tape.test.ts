import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import {
  add,
  avgPool2d,
  batchNorm,
  concat,
  conv1d,
  conv2d,
  div,
  dropout,
  flatten,
  globalAvgPool2d,
  logSoftmax,
  matMul,
  max,
  maxPool2d,
  maximum,
  mean,
  memory,
  mul,
  pad,
  reshape,
  Rng,
  setBackend,
  ShapeError,
  slice,
  softmax,
  softmaxCrossEntropy,
  sigmoid,
  sub,
  sum,
  tanh,
  tensor,
  tidy,
  transpose,
  valueAndGrads,
  type Tensor,
} from '../index.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

function randomTensor(rng: Rng, shape: number[], low = -1, high = 1): Tensor {
  return tensor(rng.uniform(shape.reduce((a, b) => a * b, 1), low, high), shape);
}

/**
 * Checks valueAndGrads against central finite differences of the scalar f, in float32, on a few
 * random coordinates of each input; tolerance relative to the gradient's scale.
 */
async function checkGrads(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol = 2e-2): Promise<void> {
  const before = memory().tensors;
  const { value, grads } = valueAndGrads(() => f(...inputs), inputs);
  expect(value.size).toBe(1);
  const scalarOf = async (): Promise<number> => {
    const y = tidy(() => f(...inputs));
    const v = (await y.data())[0]!;
    y.dispose();
    return v;
  };
  const rng = new Rng(99);
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    const base = await x.data();
    const g = await grads[i]!.data();
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
    const probes = Math.min(6, x.size);
    for (let p = 0; p < probes; p++) {
      const j = rng.int(x.size);
      const h = 1e-2 * Math.max(1, Math.abs(base[j]!));
      const plus = base.slice();
      plus[j] = base[j]! + h;
      const minus = base.slice();
      minus[j] = base[j]! - h;
      // Swap the input's storage contents through a fresh tensor of the same shape.
      const fp = await evalWith(f, inputs, i, plus, scalarOf);
      const fm = await evalWith(f, inputs, i, minus, scalarOf);
      const fd = (fp - fm) / (2 * h);
      expect(Math.abs(fd - g[j]!) / scale, `input ${i} coordinate ${j}: fd ${fd} vs grad ${g[j]}`).toBeLessThan(tol);
    }
  }
  value.dispose();
  grads.forEach((t) => t.dispose());
  expect(memory().tensors).toBe(before);
}

async function evalWith(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  index: number,
  values: Float32Array,
  _unused: unknown,
): Promise<number> {
  const replaced = tensor(values, inputs[index]!.shape);
  const args = inputs.map((t, k) => (k === index ? replaced : t));
  const y = tidy(() => f(...args));
  const v = (await y.data())[0]!;
  y.dispose();
  replaced.dispose();
  return v;
}

describe('autograd', () => {
  it('differentiates broadcasting arithmetic and unary ops', async () => {
    const rng = new Rng(1);
    const a = randomTensor(rng, [3, 4]);
    const b = randomTensor(rng, [4], 0.5, 2);
    await checkGrads((x, y) => sum(mul(tanh(add(x, y)), sigmoid(div(x, y)))), [a, b]);
    await checkGrads((x, y) => mean(sub(maximum(x, y), mul(x, x))), [a, b]);
    a.dispose();
    b.dispose();
  });

  it('differentiates conv, pools, matmul and cross-entropy (a CPCP net)', async () => {
    const rng = new Rng(2);
    const x = randomTensor(rng, [2, 2, 9, 9]);
    const w1 = randomTensor(rng, [3, 2, 3, 3], -0.5, 0.5);
    const b1 = randomTensor(rng, [3], -0.1, 0.1);
    const w2 = randomTensor(rng, [4, 3, 2, 2], -0.5, 0.5);
    const wd = randomTensor(rng, [4, 5], -0.5, 0.5);
    const labels = tensor([0, 1, 0, 0, 0, 0, 0, 0, 0.5, 0.5], [2, 5]);
    const net = (xx: Tensor, a: Tensor, ab: Tensor, c: Tensor, d: Tensor) => {
      const h1 = maxPool2d(conv2d(xx, a, { padding: 1, bias: ab, activation: 'relu' }), { window: 3, stride: 2 });
      const h2 = avgPool2d(conv2d(h1, c, { padding: 'same' }), { window: 2, stride: 2, ceilMode: true });
      const logits = matMul(flatten(globalAvgPool2d(h2)), d);
      return softmaxCrossEntropy(logits, labels);
    };
    await checkGrads(net, [x, w1, b1, w2, wd], 3e-2);
    for (const t of [x, w1, b1, w2, wd, labels]) t.dispose();
  });

  it('differentiates the residual epilogue of conv2d (every input, relu and linear)', async () => {
    const rng = new Rng(4);
    const x = randomTensor(rng, [2, 3, 6, 6]);
    const w = randomTensor(rng, [3, 3, 3, 3], -0.5, 0.5);
    const b = randomTensor(rng, [3], -0.1, 0.1);
    const r = randomTensor(rng, [2, 3, 6, 6]);
    const probe = randomTensor(rng, [2, 3, 6, 6]);
    for (const activation of ['relu', 'linear'] as const) {
      // The weighted sum makes every output cell count with its own weight.
      await checkGrads((xx, ww, bb, rr) => sum(mul(conv2d(xx, ww, { padding: 1, bias: bb, residual: rr, activation }), probe)), [x, w, b, r], 3e-2);
    }
    // The same values as the unfused graph relu(conv + b + r).
    const fused = conv2d(x, w, { padding: 1, bias: b, residual: r, activation: 'relu' });
    const unfused = tidy(() => maximum(add(conv2d(x, w, { padding: 1, bias: b }), r), tensor([0], [1])));
    const [f, u] = [await fused.data(), await unfused.data()];
    expect(Math.max(...Array.from(f, (v, i) => Math.abs(v - u[i]!)))).toBeLessThan(1e-6);
    for (const t of [x, w, b, r, probe, fused, unfused]) t.dispose();
  });

  it('differentiates the fused batch-norm epilogue act(bn(x) + residual): finite differences, and the unfused graph', async () => {
    const rng = new Rng(5);
    const x = randomTensor(rng, [3, 2, 4, 4]);
    const gamma = randomTensor(rng, [2], 0.5, 1.5);
    const beta = randomTensor(rng, [2]);
    const r = randomTensor(rng, [3, 2, 4, 4]);
    const probe = randomTensor(rng, [3, 2, 4, 4]);
    // Linear has no kink for the 1e-2 steps of checkGrads.
    await checkGrads((xx, g, b, rr) => sum(mul(batchNorm(xx, g, b, { training: true, residual: rr }).y, probe)), [x, gamma, beta, r]);
    // relu: gradients of the fused op (mask inside BatchNormGrad without a residual, UnaryGrad with one) equal
    // those of relu(bn(x) [+ r]) as separate ops.
    const zero = tensor([0], [1]);
    for (const residual of [undefined, r]) {
      const fused = valueAndGrads(() => sum(mul(batchNorm(x, gamma, beta, { training: true, activation: 'relu', residual }).y, probe)), [x, gamma, beta, r]);
      const unfused = valueAndGrads(() => {
        const y = batchNorm(x, gamma, beta, { training: true }).y;
        return sum(mul(maximum(residual ? add(y, residual) : y, zero), probe));
      }, [x, gamma, beta, r]);
      for (let i = 0; i < 4; i++) {
        const [f, u] = [await fused.grads[i]!.data(), await unfused.grads[i]!.data()];
        expect(Math.max(0, ...Array.from(f, (v, j) => Math.abs(v - u[j]!))), `gradient ${i}${residual ? ' with residual' : ''}`).toBeLessThan(1e-5);
      }
      for (const t of [fused.value, unfused.value, ...fused.grads, ...unfused.grads]) t.dispose();
    }
    for (const t of [x, gamma, beta, r, probe, zero]) t.dispose();
  });

  it('differentiates layout ops, softmax, reductions, batch norm and conv1d', async () => {
    const rng = new Rng(3);
    const x = randomTensor(rng, [2, 3, 4]);
    const r = randomTensor(rng, [2, 4, 3]);
    await checkGrads((t) => sum(mul(transpose(t, [0, 2, 1]), r)), [x]);
    await checkGrads((t) => sum(mul(softmax(t), reshape(r, [2, 3, 4]))), [x]);
    await checkGrads((t) => sum(mul(logSoftmax(t), reshape(r, [2, 3, 4]))), [x]);
    await checkGrads((t) => sum(max(t, [0, 2])), [x]);
    await checkGrads((t) => sum(mul(concat([t, slice(t, [0, 1, 0], [2, 2, 4])], 1), pad(reshape(r, [2, 3, 4]), [[0, 0], [0, 2], [0, 0]]))), [x]);
    const gamma = randomTensor(rng, [3], 0.5, 1.5);
    const beta = randomTensor(rng, [3]);
    await checkGrads((t, g, b) => sum(mul(batchNorm(t, g, b, { training: true }).y, reshape(r, [2, 3, 4]))), [x, gamma, beta]);
    const f = randomTensor(rng, [2, 3, 3]);
    await checkGrads((t, w) => sum(mul(conv1d(t, w, { padding: 1, stride: 2 }), conv1d(t, w, { padding: 1, stride: 2 }))), [x, f]);
    for (const t of [x, r, gamma, beta, f]) t.dispose();
  });

  it('gives zero gradients to unused inputs and frees every intermediate', async () => {
    const before = memory().tensors;
    const a = tensor([1, 2, 3], [3]);
    const unused = tensor([5], [1]);
    const { value, grads } = valueAndGrads(() => sum(mul(a, a)), [a, unused]);
    expect(Array.from(await grads[0]!.data())).toEqual([2, 4, 6]);
    expect(Array.from(await grads[1]!.data())).toEqual([0]);
    expect(Array.from(await value.data())).toEqual([14]);
    for (const t of [a, unused, value, ...grads]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('keeps dropout masks identical for one seed and scales survivors', async () => {
    const x = tensor(new Float32Array(1000).fill(1), [10, 100]);
    const y1 = dropout(x, 0.3, new Rng(7));
    const y2 = dropout(x, 0.3, new Rng(7));
    const d1 = await y1.data();
    expect(Array.from(d1)).toEqual(Array.from(await y2.data()));
    const kept = Array.from(d1).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    expect(Math.abs(kept.length / 1000 - 0.7)).toBeLessThan(0.06);
    for (const t of [x, y1, y2]) t.dispose();
  });
});

describe('errors', () => {
  it('rejects bad shapes before running a kernel and allocates nothing', () => {
    const x = tensor(new Float32Array(2 * 3 * 5 * 5), [2, 3, 5, 5]);
    const w = tensor(new Float32Array(6 * 1 * 5 * 5), [6, 1, 5, 5]);
    const before = memory().tensors;
    expect(() => conv2d(x, w)).toThrow(ShapeError);
    expect(() => conv2d(x, w)).toThrow('conv2d: input channels is 3 but expected 1 as the filter expects (filter shape [6,1,5,5], groups 1)');
    expect(() => maxPool2d(x, { window: 7 })).toThrow('maxPool2d: window is [7,7] but expected at most the padded input 5x5');
    expect(() => add(x, w)).toThrow(ShapeError);
    expect(() => conv2d(x, w, { stride: 0 })).toThrow("conv2d: stride is 0 but expected a positive integer or a pair of positive integers");
    expect(memory().tensors).toBe(before);
    x.dispose();
    w.dispose();
  });
});
