import { BackendError, planConv2d, planReduce } from '@stridenet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from './backend.js';
import { sizeClass } from './runtime.js';
import { createTestBackend } from './testing/backend.js';

describe('sizeClass', () => {
  it('rounds to powers of two, then quarter steps, never below the request', () => {
    expect(sizeClass(1)).toBe(16);
    expect(sizeClass(100)).toBe(128);
    expect(sizeClass(4096)).toBe(4096);
    expect(sizeClass(4097)).toBe(5120);
    expect(sizeClass(1_000_000)).toBe(1_048_576);
    for (const n of [5000, 77777, 123_456_789]) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(n * 1.25 + 4);
      expect(c % 4).toBe(0);
    }
  });
});

describe('createWebGpuBackend errors', () => {
  it('rejects with a BackendError naming the fix when there is no adapter', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const err = await createWebGpuBackend({ gpu }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/found no GPU adapter.*npm i webgpu@.*mesa-vulkan-drivers.*backend=opengles/s);
  });

  it('rejects an unknown featureLevel', async () => {
    await expect(createWebGpuBackend({ featureLevel: 'fast' as never })).rejects.toThrow(/featureLevel is 'fast' but expected 'core' or 'compatibility'/);
  });
});

describe('GpuRuntime', () => {
  let b: WebGpuBackend;
  beforeAll(async () => {
    b = await createTestBackend();
  });
  afterAll(() => b?.dispose());

  it('reuses freed buffers of the same size class and reports live and pooled bytes', async () => {
    const before = b.runtime.memory();
    const t = b.upload(new Float32Array(1000));
    const buf = t.buffer;
    expect(b.runtime.memory().liveBytes - before.liveBytes).toBe(4096);
    b.free(t);
    await b.sync();
    const u = b.upload(new Float32Array(990));
    expect(u.buffer).toBe(buf);
    const m = b.memory();
    expect(m.bytes - (m.pooledBytes ?? 0)).toBe(before.liveBytes + 4096);
    b.free(u);
    expect(b.runtime.memory().liveBytes).toBe(before.liveBytes);
    expect(() => b.free(u)).toThrow(/free\(\) called twice/);
  });

  it('encodes many dispatches and submits once per read, with cached pipelines', async () => {
    const queue = b.runtime.device.queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (cmds: Iterable<GPUCommandBuffer>) => {
      submits += 1;
      submit(cmds);
    };
    try {
      const x = b.upload(Float32Array.from({ length: 64 }, (_, i) => i));
      const plan = planReduce(1, 64, 1);
      let t = x;
      const made = [];
      for (let i = 0; i < 10; i++) {
        t = b.kernels.Unary({ x: t }, { op: 'neg', alpha: 0, size: 64 });
        made.push(t);
      }
      const s = b.kernels.Reduce({ x: t }, { op: 'sum', plan });
      const pipelines = b.runtime.pipelineCount;
      expect(submits).toBe(0);
      expect(Array.from(await b.read(s))).toEqual([2016]);
      expect(submits).toBe(1);
      made.push(b.kernels.Unary({ x }, { op: 'neg', alpha: 0, size: 64 }));
      expect(b.runtime.pipelineCount).toBe(pipelines);
      for (const h of [x, ...made, s]) b.free(h);
    } finally {
      queue.submit = submit;
    }
  });

  it('recycles uniform blocks once their submission has completed', async () => {
    const device = b.runtime.device;
    const create = device.createBuffer.bind(device);
    let created = 0;
    device.createBuffer = (d: GPUBufferDescriptor) => {
      created += 1;
      return create(d);
    };
    try {
      const x = b.upload(new Float32Array(16));
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 40; i++) b.free(b.kernels.Unary({ x }, { op: 'neg', alpha: 0, size: 16 }));
        await b.read(x);
      }
      b.free(x);
      // 400 dispatches: without recycling that would be 400 uniform blocks.
      expect(created).toBeLessThanOrEqual(3 * 40 + 4);
    } finally {
      device.createBuffer = create;
    }
  });

  it('surfaces a shader error as a BackendError on the next read', async () => {
    const x = b.upload(new Float32Array(4));
    b.runtime.dispatch({ shader: 'broken-test-shader', code: 'fn main( {', ints: [0], inputs: [], outputs: [x.buffer], workgroups: [1] });
    const err = await b.read(x).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/device reported .*error/);
    b.free(x);
    // The device is still usable afterwards.
    const y = b.upload(Float32Array.from([1, 2]));
    expect(Array.from(await b.read(y))).toEqual([1, 2]);
    b.free(y);
  });

  it('supports() explains what it cannot dispatch', () => {
    const plan = planConv2d([2000, 1, 64, 64], [1, 1, 1, 1]);
    expect(b.supports('Conv2D', { plan, activation: 'linear' })).toMatch(/batch \* height \* width = 8192000 exceeds/);
    expect(b.supports('Conv2D', { plan: planConv2d([1, 1, 4, 4], [1, 1, 3, 3]), activation: 'linear' })).toBe(true);
    const limit = b.runtime.limits.maxStorageBufferBindingSize;
    const huge = planReduce(1, Math.ceil(limit / 4) + 1024, 1);
    expect(b.supports('Reduce', { op: 'sum', plan: huge })).toMatch(/exceeds this device's maxStorageBufferBindingSize/);
  });
});

describe('device loss', () => {
  it('turns a lost device into a BackendError on the next call', async () => {
    const b = await createTestBackend();
    const x = b.upload(Float32Array.from([1]));
    b.runtime.device.destroy();
    await b.runtime.device.lost;
    expect(() => b.kernels.Unary({ x }, { op: 'neg', alpha: 0, size: 1 })).toThrow(/GPU device was lost \(destroyed/);
    await expect(b.read(x)).rejects.toThrow(BackendError);
    b.dispose();
  });
});
