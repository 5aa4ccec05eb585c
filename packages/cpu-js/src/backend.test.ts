import { planBroadcast, SPEC_VERSION } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';

describe('createCpuBackend', () => {
  it('copies on upload and read, counts live buffers and frees them', async () => {
    const b = await createCpuBackend();
    expect(b.name).toBe('cpu-js');
    expect(b.specVersion).toBe(SPEC_VERSION);
    const base = b.memory();
    const src = new Float32Array([1, 2, 3]);
    const h = b.upload(src);
    src[0] = 9;
    const read = await b.read(h);
    expect([...read]).toEqual([1, 2, 3]);
    read[1] = 7;
    expect([...b.readSync!(h)]).toEqual([1, 2, 3]);
    const plan = planBroadcast('add', [3], [3]);
    const y = b.kernels.Binary({ a: h, b: h }, { op: 'add', plan });
    expect(b.memory()).toEqual({ buffers: base.buffers + 2, bytes: base.bytes + 24 });
    b.free(h);
    b.free(y);
    expect(b.memory()).toEqual(base);
    expect(() => b.free(h)).toThrow(/not a live cpu-js buffer/);
  });

  it('supports every spec kernel and names a bad op', async () => {
    const b = await createCpuBackend();
    expect(b.supports('MaxPool2D', {} as never)).toBe(true);
    expect(b.supports('Binary', { op: 'pow' } as never)).toMatch(/op "pow"/);
  });
});
