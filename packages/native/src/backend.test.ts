import { describe, expect, it } from 'vitest';
import { dropout, planBroadcast, planConv2d, planMatMul, planPool2d, planReduce, planTranspose, Rng, tensor, type AnyBackend, type RngState } from '@stridenet/core';
import { liveMemory } from '@stridenet/conformance';
import { addon, sizeEncoding } from './addon.js';
import { UNARY_CODES } from './op-codes.js';
import { createNativeBackend, nativeIsas, startNativeTrace, stopNativeTrace } from './index.js';
import type { NativeHandle } from './handle.js';
import { createCpuBackend } from '@stridenet/cpu-js';
import { random } from './testing/values.js';

describe('native backend: queue, memory and bad input', () => {
  it('returns from a long kernel before it finishes; read() resolves once it is done', async () => {
    // The queue is what this test is about ('auto' runs kernels on the calling thread on a one-CPU process).
    const b = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    const n = 512;
    const plan = planMatMul([n, n], [n, n]);
    const a = b.upload(random(n * n, 1));
    let h = a;
    const made: NativeHandle[] = [];
    for (let i = 0; i < 8; i++) {
      h = b.kernels.MatMul({ a: h, b: a }, { plan, activation: 'linear' });
      made.push(h);
    }
    // ~2 GFLOP are queued: had the calls run the work, read() would already be settled and win the
    // race against the next event-loop turn.
    const reading = b.read(h);
    const first = await Promise.race([
      reading.then(() => 'read'),
      new Promise<string>((resolve) => setImmediate(() => resolve('event loop turned'))),
    ]);
    expect(first).toBe('event loop turned');
    const out = await reading;
    expect(out.length).toBe(n * n);
    for (const m of made) b.free(m);
    b.free(a);
    await b.sync!();
    expect(b.memory().buffers).toBe(0);
    expect(liveMemory(b.memory()).bytes).toBe(0);
    await b.dispose!();
  });

  it('resolves each sync() once the work queued before it has run, in issue order, and one pending at dispose', async () => {
    const b = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    const n = 512;
    const plan = planMatMul([n, n], [n, n]);
    const a = b.upload(random(n * n, 3));
    const order: string[] = [];
    const h1 = b.kernels.MatMul({ a, b: a }, { plan, activation: 'linear' });
    const s1 = b.sync!().then(() => order.push('first'));
    let h = h1;
    const made: NativeHandle[] = [h1];
    for (let i = 0; i < 4; i++) {
      h = b.kernels.MatMul({ a: h, b: a }, { plan, activation: 'linear' });
      made.push(h);
    }
    const s2 = b.sync!().then(() => order.push('second'));
    // ~1.3 GFLOP queued: the second sync cannot settle before the event loop turns.
    const first = await Promise.race([s2.then(() => 'sync'), new Promise<string>((resolve) => setImmediate(() => resolve('event loop turned')))]);
    expect(first).toBe('event loop turned');
    await Promise.all([s1, s2]);
    expect(order).toEqual(['first', 'second']);
    // Everything has run: the last product reads back at once and matches a fresh read after another sync.
    const out = b.readSync!(h);
    await b.sync!();
    expect(await b.read(h)).toEqual(out);
    const more = b.kernels.MatMul({ a: h1, b: a }, { plan, activation: 'linear' });
    const pending = b.sync!();
    for (const m of [...made, more, a]) b.free(m);
    await b.dispose!();
    await expect(pending).resolves.toBeUndefined();
  });

  it('resolves read() of queued work with the data: one of a handle freed after the call, one pending at dispose; throws at once for freed handles', async () => {
    const b = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    const n = 256;
    const plan = planMatMul([n, n], [n, n]);
    // Every entry 1/n: each product's entries are 1/n exactly.
    const a = b.upload(new Float32Array(n * n).fill(1 / n));
    const made: NativeHandle[] = [];
    let h = a;
    for (let i = 0; i < 6; i++) {
      h = b.kernels.MatMul({ a: h, b: a }, { plan, activation: 'linear' });
      made.push(h);
    }
    const exact = (out: Float32Array) => out.length === n * n && out.every((v) => v === 1 / n);
    const order: string[] = [];
    const early = b.read(made[1]!).then((out) => (order.push('early'), out));
    const late = b.read(h).then((out) => (order.push('late'), out));
    b.free(made[1]!);
    expect(() => b.read(made[1]!)).toThrow(/read: handle was already freed/);
    expect(exact(await early)).toBe(true);
    expect(exact(await late)).toBe(true);
    expect(order).toEqual(['early', 'late']);
    const more = b.kernels.MatMul({ a: h, b: a }, { plan, activation: 'linear' });
    const pending = b.read(more);
    await b.dispose!();
    expect(exact(await pending)).toBe(true);
    expect(() => b.read(more)).toThrow(/belongs to a disposed native backend/);
  });

  it('orders small kernels after queued work: one issued behind a long queue reads what the queue wrote', async () => {
    // Small kernels on an idle queue run on the calling thread; behind queued work they must queue too.
    for (const threads of [1, 2]) {
      const b = await createNativeBackend({ threads, dispatch: 'queue' });
      const n = 384;
      const plan = planMatMul([n, n], [n, n]);
      const a = b.upload(random(n * n, 8));
      const made: NativeHandle[] = [];
      for (let i = 0; i < 6; i++) made.push(b.kernels.MatMul({ a, b: a }, { plan, activation: 'linear' }));
      const p = b.upload(Float32Array.of(1, 2, 3, 4));
      const g = b.upload(Float32Array.of(1, 1, 1, 1));
      const v = b.upload(new Float32Array(4));
      b.kernels.SgdUpdate({ param: p, grad: g, velocity: v }, { size: 4, lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
      const twice = b.kernels.Binary({ a: p, b: p }, { op: 'add', plan: planBroadcast('add', [4], [4]) });
      const total = b.kernels.Reduce({ x: twice }, { op: 'sum', plan: planReduce(1, 4, 1) });
      expect(Array.from(b.readSync!(twice))).toEqual([1, 3, 5, 7]);
      expect(Array.from(b.readSync!(total))).toEqual([16]);
      // The queue is idle now: the same small kernels run on this thread, with the same results.
      const again = b.kernels.Binary({ a: p, b: p }, { op: 'add', plan: planBroadcast('add', [4], [4]) });
      expect(Array.from(b.readSync!(again))).toEqual([1, 3, 5, 7]);
      for (const h of [...made, a, p, g, v, twice, total, again]) b.free(h);
      await b.sync!();
      expect(b.memory().buffers).toBe(0);
      await b.dispose!();
    }
  });

  it('keeps a buffer alive for queued work after free(), then releases it', async () => {
    const b = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    const plan = planMatMul([256, 256], [256, 256]);
    const a = b.upload(random(256 * 256, 2));
    const c = b.kernels.MatMul({ a, b: a }, { plan, activation: 'linear' });
    b.free(a);
    const out = await b.read(c);
    expect(out.every(Number.isFinite)).toBe(true);
    b.free(c);
    await b.sync!();
    expect(b.memory().buffers).toBe(0);
    await b.dispose!();
  });

  it('runs a kernel called from inside run() (a getter of its inputs array): both compute and nothing stays referenced', async () => {
    // run() keeps its vectors per thread (addon.cc RunScratch); a call entered again while they are in use takes its own.
    const b = await createNativeBackend({ threads: 1, dispatch: 'caller' });
    const x = b.upload(Float32Array.of(1, -2, 3));
    let inner: NativeHandle | undefined;
    const inputs: NativeHandle[] = [];
    Object.defineProperty(inputs, 0, {
      enumerable: true,
      get: () => {
        inner ??= b.kernels.Unary({ x }, { op: 'neg', alpha: 0, size: 3 });
        return x;
      },
    });
    const outer = addon().run('Unary', inputs, sizeEncoding(3), [UNARY_CODES.square!, 0]) as NativeHandle;
    expect(Array.from(b.readSync!(outer))).toEqual([1, 4, 9]);
    expect(Array.from(b.readSync!(inner!))).toEqual([-1, 2, -3]);
    b.free(outer);
    b.free(inner!);
    b.free(x);
    expect(b.memory().buffers).toBe(0);
    await b.dispose!();
  });

  it('recycles freed blocks of every size: pooled bytes are reused, not grown, and hold no stale values', async () => {
    const b = await createNativeBackend({ threads: 2 });
    const n = 1 << 18; // 1 MiB, above the cache's 64 KiB floor
    const first = b.upload(random(n, 3));
    b.free(first);
    await b.sync!();
    const pooled = b.memory().pooledBytes!;
    if (!addon().info().blockCache) {
      // AddressSanitizer build: every block goes back to the allocator at once.
      expect(pooled).toBe(0);
      await b.dispose!();
      return;
    }
    expect(pooled).toBeGreaterThanOrEqual(4 * n);
    const values = random(n, 4);
    const again = b.upload(values);
    // bytes includes the pool (BackendMemory's contract), so taking a block from it leaves bytes as they were.
    expect(b.memory()).toMatchObject({ buffers: 1, bytes: pooled, pooledBytes: pooled - 4 * n });
    expect(b.readSync!(again)).toEqual(values);
    b.free(again);
    await b.sync!();
    expect(b.memory()).toMatchObject({ buffers: 0, bytes: pooled, pooledBytes: pooled });
    // Small blocks are kept too, rounded to 64 bytes (not pages).
    for (const [floats, kept] of [[1000, 4032], [256, 1024], [10, 64]] as const) {
      const before = b.memory().pooledBytes!;
      const h = b.upload(random(floats, 5));
      b.free(h);
      await b.sync!();
      expect(b.memory().pooledBytes! - before).toBe(kept);
      const v = random(floats, 6);
      const again = b.upload(v);
      expect(b.memory().pooledBytes).toBe(before);
      expect(b.readSync!(again)).toEqual(v);
      b.free(again);
      await b.sync!();
    }
    await b.dispose!();
  });

  it('reports bytes including the pool, so the conformance live count returns to baseline after a large free', async () => {
    const b = await createNativeBackend({ threads: 2 });
    const baseline = liveMemory(b.memory());
    // 64 KiB and 1 MiB: the block cache's floor and a block well above it; the conv's packed filter goes
    // to the filter cache, which pooledBytes counts too.
    for (const n of [1 << 14, 1 << 18]) {
      const h = b.upload(random(n, 5));
      expect(liveMemory(b.memory()).bytes).toBe(baseline.bytes + 4 * n);
      b.free(h);
      await b.sync!();
      const m = b.memory();
      expect(liveMemory(m)).toEqual(baseline);
      expect(m.bytes).toBeGreaterThanOrEqual(m.pooledBytes!);
    }
    const plan = planConv2d([1, 16, 16, 16], [32, 16, 3, 3], { padding: 1 });
    const x = b.upload(random(16 * 16 * 16, 6));
    const w = b.upload(random(32 * 16 * 9, 7));
    const y = b.kernels.Conv2D({ x, filter: w }, { plan, activation: 'linear' });
    await b.read(y);
    [x, w, y].forEach((h) => b.free(h));
    await b.sync!();
    expect(liveMemory(b.memory())).toEqual(baseline);
    await b.dispose!();
  });

  it('raises JavaScript errors for bad input instead of crashing', async () => {
    const b = await createNativeBackend({ threads: 1 });
    const plan = planConv2d([1, 2, 5, 5], [3, 2, 3, 3]);
    const x = b.upload(new Float32Array(50));
    const w = b.upload(new Float32Array(54));
    const short = b.upload(new Float32Array(49));
    expect(() => b.kernels.Conv2D({ x: short, filter: w }, { plan, activation: 'linear' })).toThrow(
      /Conv2D: input 'x' holds 49 floats but the plan expects 50/,
    );
    expect(() => b.kernels.Conv2D({ x: w, filter: x }, { plan, activation: 'linear' })).toThrow(/input 'x'/);
    // A plan whose encoding disagrees with the buffers (tampered copy).
    const enc = Int32Array.from(plan.encoded);
    enc[2] = 500;
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: { ...plan, encoded: enc }, activation: 'linear' })).toThrow(/Conv2D/);
    const negative = Int32Array.from(plan.encoded);
    negative[9] = 0;
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: { ...plan, encoded: negative }, activation: 'linear' })).toThrow(
      /strideHeight is 0, expected >= 1/,
    );
    const truncated = plan.encoded.subarray(0, 5);
    expect(() => b.kernels.Conv2D({ x, filter: w }, { plan: { ...plan, encoded: truncated }, activation: 'linear' })).toThrow(
      /plan encoding has 5 entries, expected 18/,
    );
    const pool = planPool2d([1, 2, 5, 5], { window: 2 });
    const bigOut = Int32Array.from(pool.encoded);
    bigOut[4] = 50;
    expect(() => b.kernels.MaxPool2D({ x }, { plan: { ...pool, encoded: bigOut } })).toThrow(/MaxPool2D: plan output/);
    const tp = planTranspose([5, 10], [1, 0]);
    const badPerm = Int32Array.from(tp.encoded);
    badPerm[8] = 1;
    expect(() => b.kernels.Transpose({ x }, { plan: { ...tp, encoded: badPerm } })).toThrow(/not a permutation/);
    // Freed, forged and foreign handles.
    b.free(short);
    expect(() => b.free(short)).toThrow(/already freed/);
    expect(() => b.readSync!(short)).toThrow(/already freed/);
    expect(() => b.kernels.Conv2D({ x: short, filter: w }, { plan, activation: 'linear' })).toThrow(/inputs\[0\] was already freed/);
    const forged = { fake: true } as unknown as NativeHandle;
    expect(() => b.kernels.Conv2D({ x: forged, filter: w }, { plan, activation: 'linear' })).toThrow(
      /inputs\[0\] is an object, expected a native tensor handle/,
    );
    expect(() => b.read(42 as unknown as NativeHandle)).toThrow(TypeError);
    expect(() => b.upload([1, 2] as unknown as Float32Array)).toThrow(/expected a Float32Array/);
    expect(() => addon().run('Conv2D', [x, w], [1, 2] as unknown as Int32Array, [0])).toThrow(/expected an Int32Array/);
    expect(() => addon().run('NoSuchKernel', [x], new Int32Array(1), [])).toThrow(/unknown kernel/);
    expect(() => addon().run('Unary', [x], Int32Array.of(50), [99, 0])).toThrow(/unary op code 99/);
    const other = await createNativeBackend({ threads: 1 });
    const foreign = other.upload(new Float32Array(54));
    expect(() => b.kernels.Conv2D({ x, filter: foreign }, { plan, activation: 'linear' })).toThrow(/another native backend/);
    await other.dispose!();
    expect(() => other.readSync!(foreign)).toThrow(/disposed/);
    expect(b.supports('Binary', { op: 'pow' as never, plan: undefined as never })).toMatch(/op 'pow'/);
    await expect(createNativeBackend({ threads: 0 })).rejects.toThrow(/threads/);
    await expect(createNativeBackend({ dispatch: 'inline' as never })).rejects.toThrow(
      "createNativeBackend: dispatch is 'inline' but expected 'auto', 'queue' or 'caller'",
    );
    expect(() => addon().createRuntime(1, 'auto', 'thread')).toThrow("createRuntime: dispatch is 'thread', expected 'auto', 'queue' or 'caller'");
    expect(() => addon().createRuntime(1, 'auto', 7 as never)).toThrow(TypeError);
    b.free(x);
    b.free(w);
    expect(b.memory().buffers).toBe(0);
    await b.dispose!();
  });

  // Dropout's noise: the backend's Philox stream must be core's, bit for bit, on every ISA path (the AVX2
  // clone and the baseline one, pieces split across threads, partial last blocks and counter carries).
  it.each(nativeIsas())('uniform (%s): equals Rng.uniform from the same state; bad arguments throw', async (isa) => {
    const b = await createNativeBackend({ threads: 2, isa });
    const f = 0xffffffff;
    const states: RngState[] = [
      new Rng(5).getState(),
      { key: [0x12345678, 0x9abcdef0], counter: [f - 40, 3, 4, 5] },
      { key: [f, 1], counter: [f - 3, f, f, 8] },
    ];
    for (const state of states) {
      for (const n of [1, 3, 4, 5, 63, 64, 65, 1000, 131075, 400001]) {
        const got = await b.read(b.uniform!(n, state));
        const rng = Rng.fromState(state);
        const want = rng.uniform(n);
        expect(got.length).toBe(n);
        const firstBad = got.findIndex((v, i) => v !== want[i]);
        expect(firstBad, `n ${n}, counter ${state.counter.join(',')}`).toBe(-1);
      }
    }
    expect(() => b.uniform!(0, states[0]!)).toThrow(/uniform: n is 0/);
    expect(() => b.uniform!(4, { key: [1, -1], counter: [0, 0, 0, 0] } as unknown as RngState)).toThrow(/uniform: state\[1\]/);
    b.dispose?.();
  });

  // Through core's dropout: a backend that draws its own noise gives cpu-js's mask and values (the same
  // Rng stream), and the Rng ends where the host draw leaves it.
  it('dropout on the native backend matches cpu-js for one seed, the mask keeps about 1 - rate of the cells', async () => {
    const native = await createNativeBackend({ threads: 2 });
    const js = await createCpuBackend();
    const xv = random(3 * 5 * 77, 9).map((v) => v + 2);
    const results: Float32Array[] = [];
    const ends: RngState[] = [];
    for (const be of [native, js] as AnyBackend[]) {
      const rng = new Rng(123);
      const x = tensor(xv, [3, 5, 77], be);
      const y = dropout(x, 0.3, rng);
      const y2 = dropout(y, 0.5, rng);
      results.push(await y2.data());
      ends.push(rng.getState());
      x.dispose();
      y.dispose();
      y2.dispose();
    }
    // The same cells dropped; kept ones differ by the backends' rounding of the scale only.
    expect(results[0]!.map((v) => (v === 0 ? 0 : 1))).toEqual(results[1]!.map((v) => (v === 0 ? 0 : 1)));
    for (let i = 0; i < xv.length; i++) expect(Math.abs(results[0]![i]! - results[1]![i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(results[1]![i]!));
    expect(ends[0]).toEqual(ends[1]);
    const kept = results[0]!.filter((v) => v !== 0).length / xv.length;
    expect(Math.abs(kept - 0.7 * 0.5)).toBeLessThan(0.05);
    for (let i = 0; i < xv.length; i++) if (results[0]![i] !== 0) expect(results[0]![i]).toBeCloseTo(xv[i]! / 0.35, 4);
    native.dispose?.();
  });

  // Every ISA path: a trainable 16-channel filter keeps the tiled kernel (Winograd's rounding flips ReLU inputs
  // near zero: ResNet-20's training check read 2.3e-2 on a batch-norm bias when 16-lane paths took it).
  it.each(nativeIsas())('markConstant (%s): a 16-channel 3x3 filter marked constant (Winograd) matches the plain filter (tiled); bad handles throw', async (isa) => {
    const b = await createNativeBackend({ threads: 2, isa });
    const plan = planConv2d([4, 16, 16, 16], [24, 16, 3, 3], { padding: 1 });
    const x = b.upload(random(4 * 16 * 16 * 16, 3));
    const wv = random(24 * 16 * 9, 4);
    const [plain, marked] = [b.upload(wv), b.upload(wv)];
    b.markConstant!(marked);
    const want = await b.read(b.kernels.Conv2D({ x, filter: plain }, { plan, activation: 'linear' }) as NativeHandle);
    for (let call = 0; call < 2; call++) {
      const got = await b.read(b.kernels.Conv2D({ x, filter: marked }, { plan, activation: 'linear' }) as NativeHandle);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
      expect(worst / scale).toBeLessThan(1e-5);
      // The marked filter takes Winograd (different rounding), the plain one the tiled kernel.
      expect(worst).toBeGreaterThan(0);
    }
    b.free(plain);
    expect(() => b.markConstant!(plain)).toThrow(/markConstant: handle was already freed/);
    expect(() => b.markConstant!({} as NativeHandle)).toThrow(/markConstant: handle is .*expected a native tensor handle/);
    b.dispose?.();
  });

  it.each(nativeIsas())('Conv2D noGrad (%s): a trainable filter takes the constant filters\' algorithm, and its cached transform follows in-place updates', async (isa) => {
    const b = await createNativeBackend({ threads: 2, isa });
    const plan = planConv2d([4, 16, 16, 16], [24, 16, 3, 3], { padding: 1 });
    const x = b.upload(random(4 * 16 * 16 * 16, 5));
    const size = 24 * 16 * 9;
    const w = b.upload(random(size, 6));
    const [grad, velocity] = [b.upload(random(size, 7)), b.upload(new Float32Array(size))];
    for (let step = 0; step < 2; step++) {
      const want = await b.read(b.kernels.Conv2D({ x, filter: w }, { plan, activation: 'relu' }) as NativeHandle);
      const got = await b.read(b.kernels.Conv2D({ x, filter: w }, { plan, activation: 'relu', noGrad: true }) as NativeHandle);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
      expect(worst / scale).toBeLessThan(1e-5);
      // noGrad takes Winograd (different rounding); without it the tiled kernel runs.
      expect(worst).toBeGreaterThan(0);
      // The filter changes in place (an optimizer step): the next noGrad call must see the new weights.
      b.kernels.SgdUpdate({ param: w, grad, velocity }, { size, lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    }
    for (const h of [x, w, grad, velocity]) b.free(h);
    await b.dispose!();
  });

  it.each(nativeIsas())('MatMul noGrad (%s): dense weights at 2-8 rows, packed once, match the dot products and follow in-place updates', async (isa) => {
    const b = await createNativeBackend({ threads: 2, isa });
    const [n, k] = [300, 450]; // from 2 rows over 2^18 multiply-adds: the lanes route (kFewRowsLanesMinWork)
    const size = n * k;
    const w = b.upload(random(size, 16));
    const bias = b.upload(random(n, 17));
    const [grad, velocity] = [b.upload(random(size, 18)), b.upload(new Float32Array(size))];
    for (let step = 0; step < 2; step++) {
      for (const m of [1, 2, 3, 5, 8]) {
        const plan = planMatMul([m, k], [n, k], false, true);
        const x = b.upload(random(m * k, 19 + m));
        const want = await b.read(b.kernels.MatMul({ a: x, b: w, bias }, { plan, activation: 'relu' }) as NativeHandle);
        const got = await b.read(b.kernels.MatMul({ a: x, b: w, bias }, { plan, activation: 'relu', noGrad: true }) as NativeHandle);
        const scale = want.reduce((mx, v) => Math.max(mx, Math.abs(v)), 1);
        const worst = got.reduce((mx, v, i) => Math.max(mx, Math.abs(v - want[i]!)), 0);
        expect(worst / scale, `${m} rows, step ${step}`).toBeLessThan(1e-5);
        expect(want.some((v) => v > 0) && want.some((v) => v === 0)).toBe(true);
        b.free(x);
      }
      // The weights change in place (an optimizer step): the next noGrad call must see the new ones, not the pack.
      b.kernels.SgdUpdate({ param: w, grad, velocity }, { size, lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    }
    for (const h of [w, bias, grad, velocity]) b.free(h);
    await b.dispose!();
  });

  it('runs the first kernel after a wait on the calling thread; a filter it writes in place is repacked for the next convolution', async () => {
    const b = await createNativeBackend({ threads: 2 });
    const plan = planConv2d([2, 16, 12, 12], [16, 16, 3, 3], { padding: 1 });
    const x = b.upload(random(2 * 16 * 12 * 12, 8));
    const size = 16 * 16 * 9;
    const w = b.upload(random(size, 9));
    const [grad, velocity] = [b.upload(random(size, 10)), b.upload(new Float32Array(size))];
    const conv = (filter: NativeHandle) => b.kernels.Conv2D({ x, filter }, { plan, activation: 'linear' }) as NativeHandle;
    // The convolution packs (and caches) the filter; the update after the wait runs on this thread.
    const before = await b.read(conv(w));
    startNativeTrace();
    b.kernels.SgdUpdate({ param: w, grad, velocity }, { size, lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    const events = stopNativeTrace();
    expect(events.filter((e) => e.kind === 'inline').map((e) => e.kernel)).toEqual(['SgdUpdate']);
    const fresh = b.upload(await b.read(w));
    const got = await b.read(conv(w));
    const want = await b.read(conv(fresh));
    expect(got).toEqual(want);
    expect(got).not.toEqual(before);
    for (const h of [x, w, grad, velocity, fresh]) b.free(h);
    await b.dispose!();
  });

  it('reports its threads and CPU features', async () => {
    const b = await createNativeBackend({ threads: 3 });
    expect(b.info().threads).toBe(3);
    expect(b.name).toBe('native');
    await b.dispose!();
  });
});
