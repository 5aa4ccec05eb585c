// Backend.markConstant on wasm: a constant 3x3 filter runs Winograd F(4x4, 3x3) from transforms made once;
// what was derived goes when the filter is freed or written in place, and bad handles are refused.
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, DisposedError, Rng, planConv2d } from '@stridenet/core';
import { createWasmBackend, type WasmBackend } from './index.js';
import { bindKernels } from './checks/call.js';
import { kernels } from './kernels/index.js';
import { MAX_DERIVED_BYTES, WasmRuntime } from './runtime.js';

const plan = planConv2d([2, 16, 9, 11], [16, 16, 3, 3], { padding: 1 });
const rng = new Rng(5);
const xv = rng.normal(2 * 16 * 9 * 11);
const wv = rng.normal(16 * 16 * 9).map((v) => v / 12);

/** Largest difference over the largest magnitude of the reference. */
function relative(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

describe.each([1, 2])('wasm markConstant (%i threads)', (threads) => {
  let be: WasmBackend;
  afterAll(() => be?.dispose());

  const conv = async (filter: unknown, x: unknown) => {
    const y = be.kernels.Conv2D({ x: x as never, filter: filter as never }, { plan, activation: 'linear' });
    const out = await be.read(y);
    be.free(y);
    return out;
  };

  it('gives the plain result within F(4x4) rounding, keeps the transforms until the filter is freed', async () => {
    be = await createWasmBackend({ threads, minParallelWork: 0 });
    const x = be.upload(xv);
    const plain = be.upload(wv);
    const want = await conv(plain, x);
    const before = be.memory();
    const constant = be.upload(wv);
    be.markConstant?.(constant);
    const first = await conv(constant, x);
    const held = be.memory().bytes - be.memory().pooledBytes!;
    expect(held).toBeGreaterThan(before.bytes - before.pooledBytes! + wv.length * 4);
    const second = await conv(constant, x);
    expect(second).toEqual(first);
    expect(relative(first, want)).toBeGreaterThan(0); // another algorithm ran
    expect(relative(first, want)).toBeLessThan(2e-5);
    be.free(constant);
    expect(be.memory().bytes - be.memory().pooledBytes!).toBe(before.bytes - before.pooledBytes!);
    [x, plain].forEach((h) => be.free(h));
  });

  it('drops the transforms of a constant written in place, so the next call sees the new values', async () => {
    const x = be.upload(xv);
    const w = be.upload(wv);
    be.markConstant?.(w);
    await conv(w, x);
    // param -= 1 * grad with grad = -param: the filter doubles.
    const [grad, velocity] = [be.upload(wv.map((v) => -v)), be.upload(new Float32Array(wv.length))];
    be.kernels.SgdUpdate({ param: w, grad, velocity }, { size: wv.length, lr: 1, momentum: 0, nesterov: false, weightDecay: 0 });
    const doubled = be.upload(wv.map((v) => 2 * v));
    expect(relative(await conv(w, x), await conv(doubled, x))).toBeLessThan(1e-6);
    [x, w, grad, velocity, doubled].forEach((h) => be.free(h));
  });

  it('refuses a freed, forged or foreign handle with a typed error', async () => {
    const h = be.upload(wv);
    be.free(h);
    expect(() => be.markConstant?.(h)).toThrow(DisposedError);
    expect(() => be.markConstant?.({} as never)).toThrow(ArgumentError);
    const other = await createWasmBackend({ threads: 1 });
    const foreign = other.upload(wv);
    expect(() => be.markConstant?.(foreign)).toThrow(ArgumentError);
    other.dispose();
  });
});

describe('wasm derived-form budget', () => {
  it('runs a constant as a plain filter once the derived forms would pass MAX_DERIVED_BYTES, and counts them back on free', async () => {
    const rt = await WasmRuntime.create({ threads: 1 });
    const k = bindKernels(kernels, rt);
    const conv = (filter: ReturnType<typeof rt.upload>, x: ReturnType<typeof rt.upload>) => {
      const y = k.Conv2D({ x, filter }, { plan, activation: 'linear' });
      const out = rt.read(y);
      rt.free(y);
      return out;
    };
    const x = rt.upload(xv);
    const plain = rt.upload(wv);
    const want = conv(plain, x);
    const [small, big] = [rt.upload(wv), rt.upload(wv)];
    rt.markConstant(small);
    rt.markConstant(big);
    expect(conv(small, x)).not.toEqual(want); // F(4x4)
    const made = rt.derivedBytes;
    expect(made).toBeGreaterThan(0);
    rt.derivedBytes = MAX_DERIVED_BYTES - 1024; // as if other constants held almost all of it
    expect(conv(big, x)).toEqual(want); // F(2x2), from the buffer
    rt.derivedBytes = made;
    rt.free(small);
    expect(rt.derivedBytes).toBe(0);
    [x, plain, big].forEach((h) => rt.free(h));
    rt.dispose();
  });
});
