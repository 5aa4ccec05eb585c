// The suite must be able to fail: each test plants one realistic bug in a copy of the reference
// backend and expects the checks that cover it to throw.
import { describe, expect, it } from 'vitest';
import type { Backend, KernelTable } from '@stridenet/core';
import { allChecks } from './checks.js';
import { createReferenceBackend, type ReferenceHandle } from './reference/backend.js';
import { KernelSession } from './harness/session.js';
import * as ref from './reference/index.js';

type Kernels = KernelTable<ReferenceHandle>;

function mutant(patch: (k: Kernels, b: ReturnType<typeof createReferenceBackend>) => Partial<Kernels>): Backend {
  const b = createReferenceBackend();
  const kernels = { ...b.kernels, ...patch(b.kernels, b) };
  return { ...b, kernels } as unknown as Backend;
}

/** Runs the checks selected by `pick` on `backend`; returns how many of them failed. */
async function failures(backend: Backend, pick: (kernel: string, option: string, title: string) => boolean): Promise<{ failed: number; ran: number }> {
  let failed = 0;
  let ran = 0;
  for (const c of allChecks()) {
    if (!pick(c.kernel, c.option, c.title)) continue;
    ran += 1;
    const s = new KernelSession(backend);
    try {
      await c.run(s, backend);
      await s.close();
    } catch {
      s.abandon();
      failed += 1;
    }
  }
  return { failed, ran };
}

const wrap = (b: ReturnType<typeof createReferenceBackend>, v: Float64Array) => {
  const h = b.upload(new Float32Array(0));
  h.data = v;
  return h;
};

describe('the suite catches planted bugs', () => {
  it('max pooling that skips NaN instead of propagating it', async () => {
    const bad = mutant((k, b) => ({
      MaxPool2D: ({ x }, { plan }) => {
        const clean = Float64Array.from(x.data, (v) => (Number.isNaN(v) ? -Infinity : v));
        return wrap(b, ref.maxPool2d(clean, plan));
      },
    }));
    const r = await failures(bad, (k, o) => k === 'MaxPool2D' && o.includes('NaN'));
    expect(r.ran).toBeGreaterThanOrEqual(2);
    expect(r.failed).toBe(r.ran);
  });

  it('max-pool gradient routed to the last maximum on ties', async () => {
    const bad = mutant((k, b) => ({
      MaxPool2DGrad: ({ dy, x }, { plan }) => {
        // Reversing the input order inside each window makes the last maximum win.
        const flipped = Float64Array.from(x.data, (v) => v + 0);
        const dx = ref.maxPool2dGrad(dy.data, flipped.map((v, i) => v + i * 1e-9), plan);
        return wrap(b, dx);
      },
    }));
    const r = await failures(bad, (k, o) => k === 'MaxPool2DGrad' && o.includes('ties'));
    expect(r.ran).toBeGreaterThanOrEqual(6);
    expect(r.failed).toBe(r.ran);
  });

  it('max-pool gradient routed to the first of several NaNs (PyTorch takes the last)', async () => {
    const bad = mutant((k, b) => ({
      MaxPool2DGrad: ({ dy, x }, { plan }) => {
        // NaN read as +Infinity: the first of them is then the first maximum.
        const asInf = Float64Array.from(x.data, (v) => (Number.isNaN(v) ? Infinity : v));
        return wrap(b, ref.maxPool2dGrad(dy.data, asInf, plan));
      },
    }));
    const r = await failures(bad, (k, o) => k === 'MaxPool2DGrad' && o.includes('several NaNs'));
    expect(r.ran).toBeGreaterThanOrEqual(9);
    expect(r.failed).toBe(r.ran);
  });

  it('average pooling that always counts padded cells', async () => {
    const bad = mutant((k, b) => ({
      AvgPool2D: ({ x }, { plan }) => wrap(b, ref.avgPool2d(x.data, { ...plan, countIncludePad: true })),
    }));
    const r = await failures(bad, (k, o) => k === 'AvgPool2D' && o.includes('not count'));
    expect(r.ran).toBeGreaterThanOrEqual(3);
    expect(r.failed).toBe(r.ran);
  });

  it('a filter gradient that drops the last kernel column', async () => {
    const bad = mutant((k, b) => ({
      Conv2DBackpropFilter: ({ x, dy }, { plan }) => {
        const dw = ref.conv2dBackpropFilter(x.data, dy.data, plan);
        if (plan.kernelWidth > 1) for (let i = plan.kernelWidth - 1; i < dw.length; i += plan.kernelWidth) dw[i] = 0;
        return wrap(b, dw);
      },
    }));
    const fd = await failures(bad, (k, o, t) => k === 'Conv2D' && t.startsWith('gradients by finite') && o.includes('dilation'));
    const vsRef = await failures(bad, (k, o) => k === 'Conv2DBackpropFilter' && o.includes('dilation'));
    expect(fd.ran).toBeGreaterThanOrEqual(2);
    expect(fd.failed).toBe(fd.ran);
    expect(vsRef.failed).toBe(vsRef.ran);
  });

  it('a convolution that ignores dilation', async () => {
    const bad = mutant((k) => ({
      Conv2D: (inputs, { plan, activation }) => k.Conv2D(inputs, { plan: { ...plan, dilationHeight: 1, dilationWidth: 1 }, activation }),
    }));
    const r = await failures(bad, (k, o, t) => k === 'Conv2D' && t.startsWith('forward') && /dilation/.test(o));
    expect(r.ran).toBeGreaterThanOrEqual(3);
    expect(r.failed).toBe(r.ran);
  });

  it('an elu gradient missing alpha', async () => {
    const bad = mutant((k) => ({
      UnaryGrad: (inputs, attrs) => k.UnaryGrad(inputs, attrs.op === 'elu' ? { ...attrs, alpha: 0 } : attrs),
    }));
    const r = await failures(bad, (k, o) => k === 'UnaryGrad' && (o.startsWith('elu') || o === 'PyTorch: elu'));
    expect(r.ran).toBeGreaterThanOrEqual(3);
    expect(r.failed).toBe(r.ran);
  });

  it('softmax without subtracting the row maximum', async () => {
    const bad = mutant((k, b) => ({
      Softmax: ({ x }, { plan, log }) => {
        const y = new Float64Array(x.data.length);
        const f = Float32Array.from(x.data, Math.exp);
        for (let r = 0; r < plan.rows; r++) {
          let s = 0;
          for (let j = 0; j < plan.cols; j++) s += f[r * plan.cols + j]!;
          for (let j = 0; j < plan.cols; j++) y[r * plan.cols + j] = log ? Math.log(f[r * plan.cols + j]! / s) : f[r * plan.cols + j]! / s;
        }
        return wrap(b, y);
      },
    }));
    const r = await failures(bad, (k, o, t) => k === 'Softmax' && o.includes('large logits') && t === 'forward');
    expect(r.ran).toBe(2);
    expect(r.failed).toBe(2);
  });

  it('batch norm with the unbiased variance', async () => {
    const bad = mutant((k, b) => ({
      BatchNormTrain: (inputs, attrs) => {
        const [y, m, v] = k.BatchNormTrain(inputs, attrs);
        const n = attrs.plan.outer * attrs.plan.inner;
        v.data = v.data.map((x) => (x * n) / (n - 1));
        return [y, m, v];
      },
    }));
    const r = await failures(bad, (k, o, t) => k === 'BatchNormTrain');
    expect(r.ran).toBeGreaterThanOrEqual(5);
    expect(r.failed).toBe(r.ran);
  });

  it('fused batch norm: running variance not unbiased, relu before the residual add, gradient without the relu mask', async () => {
    const biasedRunning = mutant((k) => ({
      BatchNormTrain: (inputs, attrs) => {
        // The running variance takes the biased batch variance: momentum * count / (count - 1) becomes momentum.
        const { runningVar, ...rest } = inputs;
        const out = k.BatchNormTrain(rest, attrs);
        if (runningVar) runningVar.data = runningVar.data.map((r, c) => (1 - attrs.momentum) * r + attrs.momentum * out[2].data[c]!);
        return out;
      },
    }));
    const running = await failures(biasedRunning, (k, o, t) => k === 'BatchNormTrain' && t.includes('running update'));
    expect(running.ran).toBeGreaterThanOrEqual(3);
    expect(running.failed).toBe(running.ran);

    const reluFirst = mutant((k) => ({
      BatchNormTrain: ({ residual, ...inputs }, attrs) => {
        const out = k.BatchNormTrain(inputs, attrs);
        if (residual) out[0].data = out[0].data.map((v, i) => v + residual.data[i]!);
        return out;
      },
    }));
    const order = await failures(reluFirst, (k, o, t) => k === 'BatchNormTrain' && t.includes('relu, residual'));
    expect(order.ran).toBeGreaterThanOrEqual(2);
    expect(order.failed).toBe(order.ran);

    const unmasked = mutant((k) => ({
      BatchNormGrad: ({ y: _y, ...inputs }, attrs) => k.BatchNormGrad(inputs, { ...attrs, activation: 'linear' }),
    }));
    const mask = await failures(unmasked, (k, o, t) => k === 'BatchNormGrad' && t.includes('relu'));
    expect(mask.ran).toBeGreaterThanOrEqual(6);
    expect(mask.failed).toBe(mask.ran);
  });

  it('SGD that ignores Nesterov and Adam without bias correction', async () => {
    const bad = mutant((k) => ({
      SgdUpdate: (inputs, attrs) => k.SgdUpdate(inputs, { ...attrs, nesterov: false }),
      AdamUpdate: (inputs, attrs) => k.AdamUpdate(inputs, { ...attrs, step: 1000 }),
    }));
    const sgd = await failures(bad, (k, o) => k === 'SgdUpdate' && o.includes('Nesterov'));
    const adam = await failures(bad, (k) => k === 'AdamUpdate');
    expect(sgd.ran).toBeGreaterThanOrEqual(3);
    expect(sgd.failed).toBe(sgd.ran);
    expect(adam.ran).toBeGreaterThanOrEqual(6);
    expect(adam.failed).toBe(adam.ran);
  });

  it('a kernel that leaks a scratch buffer', async () => {
    const bad = mutant((k, b) => ({
      BiasAdd: (inputs, attrs) => {
        b.upload(new Float32Array(4));
        return k.BiasAdd(inputs, attrs);
      },
    }));
    const r = await failures(bad, (k) => k === 'BiasAdd');
    expect(r.ran).toBeGreaterThanOrEqual(4);
    expect(r.failed).toBe(r.ran);
  });
});
