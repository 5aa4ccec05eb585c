import { planPool2d } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from './index.js';
import { sizeClass } from './allocator.js';

describe('createWasmBackend', () => {
  it('rejects a bad thread count, naming the option and the value', async () => {
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(/options\.threads is 0; expected a positive integer/);
    await expect(createWasmBackend({ threads: 1.5 })).rejects.toThrow(/options\.threads is 1\.5/);
  });

  it('reports why it is single-threaded', async () => {
    const b = await createWasmBackend({ threads: 1 });
    expect(b.info()).toMatchObject({ threads: 1, simd: true });
    expect(b.info().notes).toContain('single-threaded: options.threads is 1');
    b.dispose();
  });

  it('round-trips uploads, grows memory, and recycles freed blocks', async () => {
    const b = await createWasmBackend({ threads: 1 });
    const big = new Float32Array(6_000_000).map((_, i) => i % 977);
    const h = b.upload(big); // larger than the initial 16 MiB memory
    const back = b.readSync!(h);
    let mismatches = 0;
    for (let i = 0; i < big.length; i++) if (back[i] !== big[i]) mismatches++;
    expect(back.length).toBe(big.length);
    expect(mismatches).toBe(0);
    const before = b.memory();
    b.free(h);
    const after = b.memory();
    expect(after.bytes).toBe(before.bytes);
    expect(after.pooledBytes! - before.pooledBytes!).toBe(sizeClass(big.length * 4));
    const again = b.upload(big);
    expect(b.memory().pooledBytes).toBe(before.pooledBytes);
    b.free(again);
    expect(() => b.free(again)).toThrow(/wasm free: handle is a freed WasmHandle of 6000000 floats; it was already disposed/);
    b.dispose();
  });

  it('refuses work after dispose() instead of waiting on stopped workers', async () => {
    const b = await createWasmBackend({ threads: 2, minParallelWork: 0 });
    const x = b.upload(new Float32Array(2 * 2 * 4 * 4));
    b.dispose();
    expect(() => b.kernels.MaxPool2D({ x }, { plan: planPool2d([2, 2, 4, 4], { window: 2 }) })).toThrow(/after dispose/);
  });

  it('rejects handles from another backend', async () => {
    const a = await createWasmBackend({ threads: 1 });
    const c = await createWasmBackend({ threads: 1 });
    const h = a.upload(new Float32Array(4));
    expect(() => c.free(h)).toThrow(/wasm free: handle is 'WasmHandle\(4 floats\)' but expected a handle of this wasm backend, not of another one/);
    a.dispose();
    c.dispose();
  });
});
