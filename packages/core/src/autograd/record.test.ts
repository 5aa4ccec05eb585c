import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import {
  add,
  batchNorm,
  broadcastTo,
  fill,
  ones,
  zeros,
  concat,
  conv1d,
  conv2d,
  dropout,
  globalAvgPool1d,
  matMul,
  maxPool1d,
  maxPool2d,
  memory,
  mseLoss,
  mul,
  noGrad,
  pad,
  relu,
  Rng,
  tanh,
  setBackend,
  slice,
  softmaxCrossEntropyLoss,
  sum,
  tensor,
  tidy,
  valueAndGrads,
  type AnyBackend,
  type Backend,
  type Tensor,
} from '../index.js';

let cpu: Backend;

beforeAll(async () => {
  cpu = await setBackend(await createCpuBackend());
});

/** Live tensors and the backend's own buffer count: both must come back to where they were. */
function usage(): [number, number] {
  return [memory().tensors, cpu.memory().buffers];
}

function random(rng: Rng, shape: number[], backend?: AnyBackend): Tensor {
  return tensor(rng.uniform(shape.reduce((a, b) => a * b, 1), -1, 1), shape, backend);
}

describe('the tape owns what it saves', () => {
  it('keeps a value the caller disposed mid-f alive for backward, then frees it', async () => {
    const x = tensor([1, -2, 3], [3]);
    const before = usage();
    const { value, grads } = valueAndGrads(() => {
      const h = mul(x, x);
      const s = sum(mul(h, x));
      h.dispose(); // mul's backward reads h: the tape's own reference keeps its storage
      return s;
    }, [x]);
    expect(Array.from(await value.data())).toEqual([1 - 8 + 27]);
    expect(Array.from(await grads[0]!.data())).toEqual([3, 12, 27]);
    value.dispose();
    grads[0]!.dispose();
    expect(usage()).toEqual(before);
    x.dispose();
  });

  it('saves only the values a backward rule reads', () => {
    const a = tensor([1, 2], [2]);
    const b = tensor([3, 4], [2]);
    const added: number[] = [];
    const r = valueAndGrads(() => {
      const count = () => memory().tensors;
      let n = count();
      const s = add(a, b); // reads nothing: only the output is new
      added.push(count() - n);
      n = count();
      const p = mul(s, b); // reads both inputs: output + 2 saved references
      added.push(count() - n);
      n = count();
      const y = relu(p); // reads x and y: output + 2 saved references
      added.push(count() - n);
      return sum(y);
    }, [a]);
    expect(added).toEqual([1, 3, 3]);
    for (const t of [r.value, ...r.grads, a, b]) t.dispose();
  });

  it('frees each node\'s saved values, output gradients and temporaries as the backward pass goes', () => {
    let peak = 0;
    const kernels = Object.fromEntries(
      Object.entries(cpu.kernels).map(([k, fn]) => [k, (i: never, a: never) => {
        const r = (fn as (i: never, a: never) => unknown)(i, a);
        peak = Math.max(peak, cpu.memory().buffers);
        return r;
      }]),
    );
    const counting = { ...cpu, name: 'counting', kernels } as AnyBackend;
    const x = tensor([0.1, 0.2, 0.3], [3], counting);
    const depth = 30;
    const base = cpu.memory().buffers;
    const r = valueAndGrads(() => {
      let h = x;
      for (let i = 0; i < depth; i++) h = tanh(h);
      return sum(h);
    }, [x]);
    // The forward pass alone holds every activation (tanh's rule reads them): depth + 1 buffers.
    // Keeping every gradient and temporary to the end, as a tape that frees nothing early does, needs 3x.
    expect(peak - base).toBeLessThan(depth + 6);
    r.value.dispose();
    r.grads[0]!.dispose();
    expect(cpu.memory().buffers).toBe(base);
    x.dispose();
  });

  it('frees everything when f throws', () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const before = usage();
    expect(() =>
      valueAndGrads(() => {
        relu(mul(matMul(x, x), x));
        throw new Error('f failed');
      }, [x]),
    ).toThrow('f failed');
    expect(usage()).toEqual(before);
    x.dispose();
  });

  // Windows that do not overlap save x (MaxPool2DGrad); overlapping ones save the selected taps (MaxPool2DGradArgmax).
  it.each([
    ['MaxPool2DGrad', { window: 2 }],
    ['MaxPool2DGradArgmax', { window: 3, stride: 1 }],
  ] as const)('frees everything when a backward kernel throws (%s)', (kernel, options) => {
    const failing: AnyBackend = {
      ...cpu,
      name: 'failing-grad',
      kernels: {
        ...cpu.kernels,
        [kernel]: () => {
          throw new Error(`${kernel} failed`);
        },
      },
    };
    const x = random(new Rng(5), [1, 2, 4, 4], failing);
    const before = usage();
    expect(() => valueAndGrads(() => sum(maxPool2d(relu(mul(x, x)), options)), [x])).toThrow(`${kernel} failed`);
    expect(usage()).toEqual(before);
    x.dispose();
  });
});

describe('constants and broadcasts stay on the device (Expand)', () => {
  it('fill, zeros and ones upload one number whatever their size', async () => {
    const uploads: number[] = [];
    const spy: AnyBackend = { ...cpu, upload: (v: Float32Array) => (uploads.push(v.length), cpu.upload(v)) };
    const before = usage();
    const t = [fill([2, 3, 4], 2.5, spy), zeros([5, 1], spy), ones([1], spy), fill([1, 1, 1, 1, 1, 1, 1, 2], -1, spy)];
    expect(uploads).toEqual([1, 1, 1, 1]);
    expect(t.map((x) => x.shape)).toEqual([[2, 3, 4], [5, 1], [1], [1, 1, 1, 1, 1, 1, 1, 2]]);
    expect(Array.from(await t[0]!.data())).toEqual(new Array(24).fill(2.5));
    expect(Array.from(await t[1]!.data())).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(await t[2]!.data())).toEqual([1]);
    expect(Array.from(await t[3]!.data())).toEqual([-1, -1]);
    t.forEach((x) => x.dispose());
    expect(usage()).toEqual(before);
    expect(() => fill([2], '1' as unknown as number)).toThrow("fill: value is '1' but expected a number");
  });

  it('broadcastTo repeats on the device and sums its gradient back', async () => {
    const b = tensor([1, 2, 3], [3]);
    const w = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = usage();
    const { value, grads } = valueAndGrads(() => sum(mul(broadcastTo(b, [2, 3]), w)), [b]);
    expect(Array.from(await value.data())).toEqual([1 + 4 + 9 + 4 + 10 + 18]);
    expect(Array.from(await grads[0]!.data())).toEqual([5, 7, 9]);
    value.dispose();
    grads[0]!.dispose();
    expect(usage()).toEqual(before);
    expect(broadcastTo(b, [3])).toBe(b);
    expect(() => broadcastTo(w, [3, 3])).toThrow(/broadcastTo: shape is \[3,3\]/);
    b.dispose();
    w.dispose();
  });
});

describe('ops leak nothing inside or outside recording', () => {
  const rng = new Rng(11);
  interface Inputs {
    x: Tensor; // [2, 3, 4]
    x2: Tensor; // [2, 3, 4]
    w: Tensor; // [3, 3, 3]
    g: Tensor; // [3]
    m: Tensor; // [2, 3]
  }
  // Ops that make and free temporaries of their own (views, transposes, masks, labels, statistics).
  const cases: Record<string, (t: Inputs) => Tensor> = {
    conv1d: ({ x, w, g }) => conv1d(x, w, { padding: 1, bias: g, activation: 'relu' }),
    maxPool1d: ({ x }) => maxPool1d(x, { window: 2 }),
    globalAvgPool1d: ({ x }) => globalAvgPool1d(x),
    'sum over axes 0 and 2': ({ x }) => sum(x, [0, 2]),
    dropout: ({ x }) => dropout(x, 0.5, new Rng(3)),
    'batchNorm (training)': ({ x, g }) => {
      const r = batchNorm(x, g, g, { training: true });
      r.mean!.dispose();
      r.variance!.dispose();
      return r.y;
    },
    'batchNorm (inference)': ({ x, g }) => batchNorm(x, g, g, { training: false, mean: g, variance: g }).y,
    concat: ({ x, x2 }) => concat([x, x2], 2),
    slice: ({ x }) => slice(x, [0, 0, 1], [2, 3, 2]),
    pad: ({ x }) => pad(x, [[0, 0], [1, 0], [0, 1]]),
    softmaxCrossEntropyLoss: ({ m }) => softmaxCrossEntropyLoss(m, [0, 2]),
    mseLoss: ({ x, x2 }) => mseLoss(x, x2),
  };
  for (const [name, op] of Object.entries(cases)) {
    it(name, async () => {
      const t: Inputs = {
        x: random(rng, [2, 3, 4]),
        x2: random(rng, [2, 3, 4]),
        w: random(rng, [3, 3, 3]),
        g: tensor([0.5, 1, 2], [3]),
        m: random(rng, [2, 3]),
      };
      const all = Object.values(t);
      const before = usage();
      // outside recording
      op(t).dispose();
      expect(usage()).toEqual(before);
      // recorded, with gradients for every input
      const { value, grads } = valueAndGrads(() => sum(op(t)), all);
      expect(Number.isFinite((await value.data())[0])).toBe(true);
      for (const r of [value, ...grads]) r.dispose();
      expect(usage()).toEqual(before);
      // under tidy, nothing but the result survives
      tidy(() => op(t)).dispose();
      expect(usage()).toEqual(before);
      for (const r of all) r.dispose();
    });
  }
});

describe('Conv2D noGrad: set exactly when no tape records the call', () => {
  it('is true for eager and noGrad() calls and for inputs no tape watches, absent where a gradient is recorded', async () => {
    const seen: (boolean | undefined)[] = [];
    const kernels = { ...cpu.kernels, Conv2D: ((i, a) => (seen.push(a.noGrad), cpu.kernels.Conv2D(i, a))) satisfies Backend['kernels']['Conv2D'] };
    const spy = await setBackend({ ...cpu, name: 'cpu-js', kernels } as Backend);
    try {
      const rng = new Rng(3);
      const x = random(rng, [1, 2, 5, 5], spy);
      const w = random(rng, [3, 2, 3, 3], spy);
      const other = random(rng, [2], spy);
      const plain = conv2d(x, w);
      noGrad(() => conv2d(x, w)).dispose();
      const taped = valueAndGrads(() => sum(conv2d(x, w)), [w]);
      const unwatched = valueAndGrads(() => {
        conv2d(x, w).dispose();
        return sum(other);
      }, [other]);
      expect(seen).toEqual([true, true, undefined, true]);
      // Same values either way (cpu-js has one algorithm; the attribute only permits another).
      const y = await taped.value.data();
      expect(y[0]).toBeCloseTo((await plain.data()).reduce((a, b) => a + b, 0), 4);
      for (const t of [x, w, other, plain, taped.value, ...taped.grads, unwatched.value, ...unwatched.grads]) t.dispose();
    } finally {
      await setBackend(cpu);
    }
  });
});
