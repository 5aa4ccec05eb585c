// The memory-safety probes of issue #18 item 6, each re-run: every one must now give a typed error
// and leave the other tensors of the backend as they were.
import {
  ArgumentError,
  BackendError,
  DisposedError,
  ShapeError,
  planConcat,
  planConv2d,
  planPad,
  planPool2d,
  planSlice,
  planTranspose,
  type Backend,
} from '@stridenet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, WasmHandle, type WasmBackend } from './index.js';
import { launch } from './checks/call.js';
import { CHUNK, EXPORTS, f32, WasmRuntime } from './runtime.js';

const sgd = { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 };
const iota = (n: number, from = 0) => Float32Array.from({ length: n }, (_, i) => from + i);

/** Uploads a neighbour before and after `n`-float tensors, and checks both are unchanged at the end. */
function neighbours(b: Backend<WasmHandle>): { expectIntact: () => void } {
  const before = b.upload(iota(4096, 1));
  const after = b.upload(iota(4096, 5000));
  return {
    expectIntact: () => {
      expect(b.readSync!(before)).toEqual(iota(4096, 1));
      expect(b.readSync!(after)).toEqual(iota(4096, 5000));
      b.free(before);
      b.free(after);
    },
  };
}

describe.each([
  { label: 'single-threaded', threads: 1 },
  { label: 'two threads', threads: 2 },
])('wasm memory safety, $label', ({ threads }) => {
  let b: WasmBackend;
  beforeAll(async () => {
    b = await createWasmBackend({ threads, minParallelWork: 0 });
  });
  afterAll(() => b.dispose());

  it('refuses an SgdUpdate whose size does not match its buffers (once zeroed a neighbour)', () => {
    const n = neighbours(b);
    const [param, grad, velocity] = [b.upload(iota(4)), b.upload(iota(4)), b.upload(iota(4))];
    for (const size of [256, 2 ** 28]) {
      expect(() => b.kernels.SgdUpdate({ param, grad, velocity }, { ...sgd, size })).toThrow(ShapeError);
    }
    expect(() => b.kernels.SgdUpdate({ param, grad, velocity }, { ...sgd, size: 256 })).toThrow(
      "wasm SgdUpdate: input 'param' length is 4 but expected 256 floats (from the plan and attributes)",
    );
    expect(() => b.kernels.SgdUpdate({ param, grad, velocity }, { ...sgd, size: 2 ** 31 })).toThrow(/attrs\.size is 2147483648 but expected an integer from 0 to 536870912/);
    expect(() => b.kernels.SgdUpdate({ param, grad, velocity }, { ...sgd, size: 4, lr: NaN })).toThrow(ArgumentError);
    expect(b.readSync!(param)).toEqual(iota(4));
    for (const h of [param, grad, velocity]) b.free(h);
    n.expectIntact();
  });

  it('refuses a Slice plan larger than its input (once returned other tensors values)', () => {
    const n = neighbours(b);
    const x = b.upload(iota(16));
    expect(() => b.kernels.Slice({ x }, { plan: planSlice([8, 8], [0, 0], [8, 8]) })).toThrow(
      /wasm Slice: input 'x' length is 16 but expected 64 floats/,
    );
    const plan = planSlice([4, 4], [0, 0], [4, 4]);
    const encoded = Int32Array.from(plan.encoded);
    encoded[13] = 8; // outShape[0] past the input
    expect(() => b.kernels.Slice({ x }, { plan: { ...plan, encoded } })).toThrow(/wasm Slice: plan is .* but expected a plan core's planSlice can make/);
    // Fields that disagree with the encoding are not read: the kernel works from the rebuilt plan.
    const y = b.kernels.Slice({ x }, { plan: { ...plan, outShape: [64, 64] } });
    expect(b.readSync!(y)).toEqual(iota(16));
    b.free(y);
    b.free(x);
    n.expectIntact();
  });

  it('refuses tampered plans of the other kernel families, naming the entry', () => {
    const x = b.upload(iota(2 * 3 * 5 * 6));
    const w = b.upload(iota(4 * 3 * 3 * 3));
    const conv = planConv2d([2, 3, 5, 6], [4, 3, 3, 3], { padding: 1 });
    const oh = Int32Array.from(conv.encoded);
    oh[5] = 50;
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: { ...conv, encoded: oh }, activation: 'linear' })).toThrow(
      "wasm Conv2D: plan.encoded[5] (outHeight) is 50 but expected 5, what core's planConv2d gives for the rest of the plan",
    );
    const stride = Int32Array.from(conv.encoded);
    stride[9] = 0;
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: { ...conv, encoded: stride }, activation: 'linear' })).toThrow(
      'wasm Conv2D: plan.encoded[9] (strideHeight) is 0 but expected >= 1',
    );
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: { ...conv, encoded: conv.encoded.subarray(0, 5) }, activation: 'linear' })).toThrow(
      "wasm Conv2D: plan.encoded is 'Int32Array(5)' but expected an Int32Array of 18 entries",
    );
    // Core plans this, but its pads and stride would take the assembly's i32 window arithmetic to 2^31.
    const far = planConv2d([2, 3, 5, 6], [4, 3, 3, 3], { padding: 2 ** 30, stride: 2 ** 31 - 1 });
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: far, activation: 'linear' })).toThrow(/wasm Conv2D: plan padded height size is/);
    const pool = planPool2d([2, 3, 5, 6], { window: 2 });
    const big = Int32Array.from(pool.encoded);
    big[0] = 2 ** 30;
    expect(() => b.kernels.MaxPool2D({ x }, { plan: { ...pool, encoded: big } })).toThrow(/wasm MaxPool2D: plan input size is .* but expected at most 536870912 floats/);
    const tp = planTranspose([6, 30], [1, 0]);
    const perm = Int32Array.from(tp.encoded);
    perm[8] = 1;
    expect(() => b.kernels.Transpose({ x }, { plan: { ...tp, encoded: perm } })).toThrow(/wasm Transpose: plan .* planTranspose can make \(transpose: perm/);
    expect(() => b.kernels.Concat({ xs: [x] }, { plan: planConcat([[2, 90], [2, 90]], 1) })).toThrow(
      "wasm Concat: input 'xs' is 'an array of 1' but expected an array of 2 WasmHandles (one per plan block)",
    );
    b.free(x);
    b.free(w);
  });

  it('makes handles unforgeable: only the backend mints them', () => {
    const x = b.upload(iota(8));
    expect(() => new (WasmHandle as unknown as new (...a: unknown[]) => WasmHandle)({}, 64, 8)).toThrow(ArgumentError);
    const unary = (h: unknown) => b.kernels.Unary({ x: h as WasmHandle }, { op: 'relu', alpha: 0, size: 8 });
    for (const forged of [Object.create(WasmHandle.prototype), { ...x }, { ptr: 64, size: 8 }, 64, null]) {
      expect(() => unary(forged)).toThrow(/wasm Unary: input 'x' is .* but expected a WasmHandle made by this wasm backend/);
      expect(() => b.readSync!(forged as WasmHandle)).toThrow(ArgumentError);
      expect(() => b.free(forged as WasmHandle)).toThrow(ArgumentError);
    }
    b.free(x);
  });

  it('refuses handles of another backend, even when every input comes from it', async () => {
    const other = await createWasmBackend({ threads: 1 });
    const h = other.upload(iota(8));
    expect(() => b.kernels.Unary({ x: h }, { op: 'relu', alpha: 0, size: 8 })).toThrow(/input 'x' is 'WasmHandle\(8 floats\)' but expected a handle of this wasm backend/);
    expect(() => b.readSync!(h)).toThrow(ArgumentError);
    other.dispose();
  });

  it('fails every use of a freed handle instead of returning stale data', async () => {
    const n = neighbours(b);
    const h = b.upload(iota(64));
    b.free(h);
    const reuse = b.upload(iota(64, 100)); // likely the same block
    expect(() => b.readSync!(h)).toThrow(DisposedError);
    expect(() => b.read(h)).toThrow('wasm read: handle is a freed WasmHandle of 64 floats; it was already disposed');
    expect(() => b.free(h)).toThrow(DisposedError);
    expect(() => b.kernels.Unary({ x: h }, { op: 'relu', alpha: 0, size: 64 })).toThrow(/wasm Unary: input 'x' is a freed WasmHandle/);
    expect(h.freed).toBe(true);
    expect(b.readSync!(reuse)).toEqual(iota(64, 100));
    b.free(reuse);
    n.expectIntact();
  });

  it('reports an output that cannot fit as out of memory, and frees what the call made', () => {
    const x = b.upload(iota(4));
    const before = b.memory();
    expect(() => b.kernels.Pad({ x }, { plan: planPad([4], [[0, 2 ** 29 - 8]]), value: 0 })).toThrow(
      /wasm Pad: out of memory: cannot allocate \d+ bytes; .*its outputs were freed; the backend stays usable/,
    );
    expect(b.memory().bytes - b.memory().pooledBytes!).toBe(before.bytes - before.pooledBytes!);
    b.free(b.kernels.Unary({ x }, { op: 'neg', alpha: 0, size: 4 }));
    b.free(x);
  });

  it('refuses kernels after dispose()', async () => {
    const d = await createWasmBackend({ threads });
    const x = d.upload(iota(4));
    d.dispose();
    expect(() => d.kernels.Unary({ x }, { op: 'relu', alpha: 0, size: 4 })).toThrow(DisposedError);
    expect(() => d.readSync!(x)).toThrow(/after dispose/);
  });
});

describe('wasm traps', () => {
  it('reports a trap on a worker thread as an error on the calling thread; the pool stays usable', async () => {
    const rt = await WasmRuntime.create({ threads: 2, minParallelWork: 0 });
    const pool = rt.pool!;
    expect(pool).not.toBeNull();
    const past = rt.memory.buffer.byteLength + (1 << 20);
    const frame = rt.frame([past, past, past, f32(0.1), f32(0), 0, f32(0), 2 * CHUNK]);
    const scratch = rt.scratch(128);
    const index = EXPORTS.indexOf('sgdUpdate');
    let waited = false;
    // The calling thread holds unit 0 for a moment, so the worker takes unit 1 and traps on it.
    const hold = () => {
      if (!waited) for (const t = Date.now(); Date.now() - t < 300; );
      waited = true;
    };
    expect(() => pool.run(index, hold, frame, 2, 1, scratch, 64)).toThrow(/wasm backend: the kernel trapped on worker thread 1 \(RuntimeError: memory access out of bounds\)/);
    const h = rt.upload(iota(2 * CHUNK));
    const g = rt.upload(new Float32Array(2 * CHUNK).fill(1));
    const v = rt.upload(new Float32Array(2 * CHUNK));
    const ok = rt.frame([rt.ptrOf(h), rt.ptrOf(g), rt.ptrOf(v), f32(1), f32(0), 0, f32(0), 2 * CHUNK]);
    rt.run('sgdUpdate', ok, 2);
    expect(rt.read(h)).toEqual(iota(2 * CHUNK, -1));
    rt.dispose();
  });

  it('names the kernel and frees its outputs when a kernel traps', async () => {
    const rt = await WasmRuntime.create({ threads: 1 });
    const x = rt.upload(iota(4));
    const live = rt.liveHandles;
    expect(() =>
      launch('Unary', { x }, { x: 4 }, (k) => {
        k.output(4);
        k.run('unary', k.frame([2 ** 31 - 64, k.ptr.x, 0, f32(0), 4]), 1);
      }),
    ).toThrow(/^wasm Unary: the kernel trapped on the calling thread \(RuntimeError: memory access out of bounds\); its outputs were freed; in-place inputs may be partly written; the backend stays usable$/);
    expect(rt.liveHandles).toBe(live);
    expect(() => rt.alloc(2 ** 29)).toThrow(BackendError);
    rt.dispose();
  });
});
