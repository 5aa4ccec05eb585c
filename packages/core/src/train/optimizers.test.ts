import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { setBackend, memory, keep } from '../engine.js';
import { tensor } from '../ops/create.js';
import type { Parameter } from '../models/types.js';
import { Adam, AdamW, Sgd, createOptimizer, type Optimizer } from './optimizers.js';
import { constantLr, cosineLr, scheduleFromConfig, stepLr, warmupLr } from './schedules.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

const p0 = [0.5, -1.25, 2, 0.1];
const gradSeq = [
  [0.1, -0.2, 0.3, 0.05],
  [-0.4, 0.25, 0.1, 0.2],
  [0.3, 0.3, -0.6, -0.1],
];

function param(values = p0): Parameter {
  return { name: 'w', trainable: true, value: keep(tensor(values, [4])) };
}

async function run(opt: Optimizer, lrs?: number[]): Promise<Float32Array> {
  const p = param();
  for (const [i, g] of gradSeq.entries()) {
    const gt = tensor(g, [4]);
    opt.step([p], [gt], lrs?.[i]);
    gt.dispose();
  }
  const out = await p.value.data();
  p.value.dispose();
  return out;
}

function refSgd(lr: number, m: number, nesterov: boolean, wd: number, lrs?: number[]): number[] {
  const p = [...p0];
  const v = [0, 0, 0, 0];
  gradSeq.forEach((g, t) => {
    const rate = lrs?.[t] ?? lr;
    for (let i = 0; i < 4; i++) {
      const d = g[i]! + wd * p[i]!;
      v[i] = m * v[i]! + d;
      p[i] = p[i]! - rate * (nesterov ? d + m * v[i]! : v[i]!);
    }
  });
  return p;
}

function refAdam(lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean): number[] {
  const p = [...p0];
  const m = [0, 0, 0, 0];
  const v = [0, 0, 0, 0];
  gradSeq.forEach((g, t) => {
    const step = t + 1;
    for (let i = 0; i < 4; i++) {
      let gi = g[i]!;
      if (decoupled) p[i] = p[i]! - lr * wd * p[i]!;
      else gi += wd * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      const mh = m[i]! / (1 - b1 ** step);
      const vh = v[i]! / (1 - b2 ** step);
      p[i] = p[i]! - (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol * (1 + Math.abs(expected[i]!)));
}

describe('optimizers match PyTorch update rules', () => {
  it('plain SGD, momentum, Nesterov, weight decay, per-step lr', async () => {
    close(await run(new Sgd({ lr: 0.1 })), refSgd(0.1, 0, false, 0));
    close(await run(new Sgd({ lr: 0.1, momentum: 0.9 })), refSgd(0.1, 0.9, false, 0));
    close(await run(new Sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 })), refSgd(0.05, 0.8, true, 0.01));
    close(await run(new Sgd({ lr: 1, momentum: 0.5 }), [0.1, 0.01, 0.2]), refSgd(1, 0.5, false, 0, [0.1, 0.01, 0.2]));
  });

  it('Adam and AdamW with bias correction and (decoupled) weight decay', async () => {
    close(await run(new Adam({ lr: 0.01 })), refAdam(0.01, 0.9, 0.999, 1e-8, 0, false));
    close(await run(new Adam({ lr: 0.01, weightDecay: 0.1, beta1: 0.8 })), refAdam(0.01, 0.8, 0.999, 1e-8, 0.1, false));
    close(await run(new AdamW({ lr: 0.01 })), refAdam(0.01, 0.9, 0.999, 1e-8, 0.01, true));
    expect(new AdamW({}).config.weightDecay).toBe(0.01);
  });

  it('state export/import continues exactly', async () => {
    const straight = await run(new Adam({ lr: 0.02 }));
    const a = new Adam({ lr: 0.02 });
    const p = param();
    const g = (i: number) => tensor(gradSeq[i]!, [4]);
    let gt = g(0);
    a.step([p], [gt]);
    gt.dispose();
    const { json, slots } = await a.exportState();
    expect(json.iterations).toBe(1);
    expect(json.slots).toEqual(['m/w', 'v/w']);
    a.dispose();
    const b = createOptimizer(JSON.parse(JSON.stringify(json.config)));
    b.importState(json, new Map(slots.map((s) => [s.name, s])));
    for (const i of [1, 2]) {
      gt = g(i);
      b.step([p], [gt]);
      gt.dispose();
    }
    expect(Array.from(await p.value.data())).toEqual(Array.from(straight));
    b.dispose();
    p.value.dispose();
  });

  it('importState validates before changing anything', async () => {
    const a = new Sgd({ lr: 0.1, momentum: 0.9 });
    const p = param();
    const gt = tensor(gradSeq[0]!, [4]);
    a.step([p], [gt]);
    const before = await a.slots().get('velocity/w')!.data();
    expect(() => a.importState({ config: { type: 'adam', lr: 1, beta1: 0.9, beta2: 0.9, epsilon: 1e-8, weightDecay: 0 }, iterations: 1, slots: [] }, new Map(), 'x.ckpt')).toThrow(
      /x\.ckpt: optimizer type is 'adam' but this optimizer is 'sgd'/,
    );
    expect(() => a.importState({ ...{ config: a.config, iterations: 3, slots: ['velocity/w'] } }, new Map([['velocity/w', { shape: [4], data: new Float32Array(3) }]]), 'x.ckpt')).toThrow(
      /has 3 values but shape \[4\]/,
    );
    expect(() => a.importState({ config: a.config, iterations: 3, slots: ['m/w'] }, new Map(), 'x.ckpt')).toThrow(/not one of sgd's slots/);
    expect(a.iterations).toBe(1);
    expect(Array.from(await a.slots().get('velocity/w')!.data())).toEqual(Array.from(before));
    gt.dispose();
    a.dispose();
    p.value.dispose();
  });

  it('frees its state on dispose and rejects bad hyper-parameters', () => {
    const before = memory().tensors;
    const a = new Adam({ lr: 0.1 });
    const p = param();
    const gt = tensor(gradSeq[0]!, [4]);
    a.step([p], [gt]);
    expect(memory().tensors).toBe(before + 4);
    a.dispose();
    gt.dispose();
    p.value.dispose();
    expect(memory().tensors).toBe(before);
    expect(() => new Sgd({ lr: -1 })).toThrow(/Sgd: lr is -1 but expected a finite number/);
    expect(() => new Sgd({ lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new Adam({ beta1: 1 })).toThrow(/beta1/);
    expect(() => createOptimizer({ type: 'rmsprop' })).toThrow(/config.type is 'rmsprop'/);
  });
});

describe('learning-rate schedules', () => {
  it('step, cosine, warm-up, and rebuilt from config', () => {
    const s = stepLr({ lr: 1, stepSize: 10, gamma: 0.5 });
    expect([s(0), s(9), s(10), s(25)]).toEqual([1, 1, 0.5, 0.25]);
    const c = cosineLr({ lr: 1, totalSteps: 100, minLr: 0.1 });
    expect(c(0)).toBeCloseTo(1, 12);
    expect(c(50)).toBeCloseTo(0.55, 12);
    expect(c(100)).toBeCloseTo(0.1, 12);
    expect(c(500)).toBeCloseTo(0.1, 12);
    const w = warmupLr({ warmupSteps: 4, startFactor: 0 }, c);
    expect([w(0), w(1), w(2), w(3)]).toEqual([0, 0.25, 0.5, 0.75]);
    expect(w(4)).toBe(c(0));
    expect(w(54)).toBe(c(50));
    const re = scheduleFromConfig(JSON.parse(JSON.stringify(w.config)));
    for (const t of [0, 3, 4, 60, 200]) expect(re(t)).toBe(w(t));
    expect(constantLr(0.3)(1000)).toBe(0.3);
    expect(() => stepLr({ lr: 1, stepSize: 0 })).toThrow(/stepSize is 0/);
  });
});
