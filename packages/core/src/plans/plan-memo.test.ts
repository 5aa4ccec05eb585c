// The eager path's per-call shortcuts (issue 12): planPool2d's memo per options object, the pooling layers' one
// options object, and tensors sharing a frozen shape. Each must behave as making everything afresh did.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@stridenet/cpu-js';
import { ArgumentError, ShapeError } from '../errors.js';
import { engine, setBackend, tidy } from '../engine.js';
import { tensor } from '../ops/create.js';
import { avgPool2d, maxPool2d } from '../ops/pool.js';
import { reshape } from '../ops/layout.js';
import { AvgPool2D } from '../layers/index.js';
import { planPool2d, type Pool2dOptions } from './pool2d.js';
import { planConv2d } from './conv2d.js';
import { planMatMul } from './matmul.js';
import { conv2d } from '../ops/conv.js';
import { matMul } from '../ops/matmul.js';

beforeAll(async () => {
  await setBackend(await createCpuBackend());
});

describe('planPool2d memo', () => {
  it('gives the same frozen plan for the same options object and input shape', () => {
    const opts: Pool2dOptions = { window: [2, 2] };
    const a = planPool2d([1, 2, 4, 4], opts);
    expect(planPool2d([1, 2, 4, 4], opts)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    // Another shape or another object with equal values: made afresh, equal.
    expect(planPool2d([2, 2, 4, 4], opts).batch).toBe(2);
    const b = planPool2d([1, 2, 4, 4], { window: [2, 2] });
    expect(b).not.toBe(a);
    expect(b).toEqual(a);
  });

  it('sees a changed option value, a mutated option array and a changed input shape', () => {
    const opts: { window: number | [number, number]; stride?: number } = { window: [2, 2] };
    const shape = [1, 1, 6, 6];
    expect(planPool2d(shape, opts).outShape).toEqual([1, 1, 3, 3]);
    (opts.window as [number, number])[1] = 3;
    expect(planPool2d(shape, opts).outShape).toEqual([1, 1, 3, 2]);
    opts.window = 3;
    expect(planPool2d(shape, opts).outShape).toEqual([1, 1, 2, 2]);
    opts.stride = 1;
    expect(planPool2d(shape, opts).outShape).toEqual([1, 1, 4, 4]);
    shape[3] = 5;
    expect(planPool2d(shape, opts).outShape).toEqual([1, 1, 4, 3]);
  });

  it('throws the same errors on every call, also after a plan was memoized for the object', () => {
    const opts: Pool2dOptions = { window: 2 };
    planPool2d([1, 1, 4, 4], opts, 'avgPool2d');
    for (let i = 0; i < 2; i++) {
      expect(() => planPool2d([1, 1, 1, 1], opts, 'avgPool2d')).toThrow(ShapeError);
      expect(() => planPool2d([1, 1, 4], opts, 'avgPool2d')).toThrow(/avgPool2d: input shape/);
    }
    (opts as { ceilMode?: unknown }).ceilMode = 'yes';
    expect(() => planPool2d([1, 1, 4, 4], opts, 'avgPool2d')).toThrow(ArgumentError);
    expect(() => planPool2d([1, 1, 4, 4], opts, 'avgPool2d')).toThrow(/ceilMode/);
  });

  it('still rejects an unknown key added to a memoized options object', () => {
    const x = tensor(new Float32Array(16), [1, 1, 4, 4]);
    const opts: Pool2dOptions = { window: 2 };
    avgPool2d(x, opts).dispose();
    (opts as unknown as Record<string, unknown>).windw = 3;
    expect(() => avgPool2d(x, opts)).toThrow(/windw/);
    expect(() => maxPool2d(x, opts)).toThrow(/windw/);
    x.dispose();
  });
});

describe('pooling layers', () => {
  it('keep one options object while the layer is unchanged, and follow a change', () => {
    const layer = new AvgPool2D({ window: 2 });
    const o = layer.poolOptions;
    expect(layer.poolOptions).toBe(o);
    expect(Object.isFrozen(o)).toBe(true);
    (layer as unknown as { window: number }).window = 3;
    expect(layer.poolOptions).not.toBe(o);
    expect(layer.poolOptions.window).toBe(3);
  });
});

describe('tensor shapes', () => {
  it('copy a mutable shape and share a frozen one; leak accounting is unchanged', () => {
    const before = engine.liveTensors().size;
    const shape = [1, 1, 2, 2];
    const x = tensor(new Float32Array(4), shape);
    shape[0] = 9;
    expect(x.shape).toEqual([1, 1, 2, 2]);
    expect(Object.isFrozen(x.shape)).toBe(true);
    const y = tidy(() => avgPool2d(reshape(x, x.shape), { window: 2 }));
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(Object.isFrozen(y.shape)).toBe(true);
    expect(engine.liveTensors().size).toBe(before + 2);
    x.dispose();
    y.dispose();
    expect(engine.liveTensors().size).toBe(before);
  });
});

describe('planConv2d memo (keyed by the frozen filter shape)', () => {
  it('gives the same plan for the same frozen filter shape, input shape and option values, with new options objects', () => {
    const filter = Object.freeze([4, 2, 3, 3]);
    const a = planConv2d([1, 2, 8, 8], filter, { padding: 1, stride: [1, 1] });
    expect(planConv2d([1, 2, 8, 8], filter, { padding: 1, stride: [1, 1] })).toBe(a);
    expect(planConv2d(Object.freeze([1, 2, 8, 8]), filter, { padding: 1, stride: [1, 1] })).toBe(a);
    // Another batch, option value or a mutable filter shape: made afresh, equal to a fresh plan.
    expect(planConv2d([2, 2, 8, 8], filter, { padding: 1, stride: [1, 1] }).batch).toBe(2);
    const s2 = planConv2d([1, 2, 8, 8], filter, { padding: 1, stride: [2, 2] });
    expect(s2.outShape).toEqual([1, 4, 4, 4]);
    expect(planConv2d([1, 2, 8, 8], filter, { padding: 1 })).toEqual(planConv2d([1, 2, 8, 8], [4, 2, 3, 3], { padding: 1 }));
    const m = planConv2d([1, 2, 8, 8], [4, 2, 3, 3], { padding: 1 });
    expect(planConv2d([1, 2, 8, 8], [4, 2, 3, 3], { padding: 1 })).not.toBe(m);
  });

  it('sees a mutated option array and throws the same errors on every call after a plan was kept', () => {
    const filter = Object.freeze([2, 1, 3, 3]);
    const stride: [number, number] = [1, 1];
    expect(planConv2d([1, 1, 6, 6], filter, { stride }).outShape).toEqual([1, 2, 4, 4]);
    stride[1] = 2;
    expect(planConv2d([1, 1, 6, 6], filter, { stride }).outShape).toEqual([1, 2, 4, 2]);
    for (let i = 0; i < 2; i++) {
      expect(() => planConv2d([1, 3, 6, 6], filter, { stride })).toThrow(/input channels/);
      expect(() => planConv2d([1, 1, 6, 6], filter, { stride, groups: 0 })).toThrow(ArgumentError);
      expect(() => planConv2d([1, 1, 2, 2], filter, {})).toThrow(ShapeError);
    }
  });

  it('conv2d on the same tensors gives the same values and still rejects an unknown option key', async () => {
    const x = tensor(Float32Array.from({ length: 32 }, (_, i) => i / 7), [1, 2, 4, 4]);
    const w = tensor(Float32Array.from({ length: 36 }, (_, i) => (i % 5) - 2), [2, 2, 3, 3]);
    const first = conv2d(x, w, { padding: 1, activation: 'relu' });
    const second = conv2d(x, w, { padding: 1, activation: 'relu' });
    expect(await second.data()).toEqual(await first.data());
    expect(() => conv2d(x, w, { padding: 1, paddin: 1 } as never)).toThrow(/paddin/);
    for (const t of [x, w, first, second]) t.dispose();
  });
});

describe('planMatMul memo (keyed by the frozen b shape)', () => {
  it('gives the same plan for the same a shape and flags, afresh otherwise, errors every call', () => {
    const b = Object.freeze([3, 5]);
    const p = planMatMul([2, 5], b, false, true);
    expect(planMatMul([2, 5], b, false, true)).toBe(p);
    expect(planMatMul([4, 5], b, false, true).m).toBe(4);
    expect(planMatMul([2, 3], b, false, false).n).toBe(5);
    expect(planMatMul([5, 2], b, true, true).m).toBe(2);
    for (let i = 0; i < 2; i++) expect(() => planMatMul([2, 4], b, false, true)).toThrow(ShapeError);
    const x = tensor(new Float32Array(10), [2, 5]);
    const w = tensor(new Float32Array(15), [3, 5]);
    expect(matMul(x, w, { transposeB: true }).shape).toEqual([2, 3]);
    expect(() => matMul(x, w)).toThrow(/inner dimension/);
    x.dispose();
    w.dispose();
  });
});
