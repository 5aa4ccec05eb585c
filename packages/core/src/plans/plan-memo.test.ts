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
