// The thread pool's task blocks (runtime.h ThreadPool): each thread starts on its own contiguous block of a
// run's tasks and takes others' only when its own is done. Which thread runs a task must never change a
// result, every task must run exactly once, and runs of more tasks than a block counter holds still work.
import { avgPool2d, batchNorm, conv2d, Rng, setBackend, tensor, type Tensor } from '@stridenet/core';
import { afterAll, describe, expect, it } from 'vitest';
import { addon } from './addon.js';
import { createNativeBackend, startNativeTrace, stopNativeTrace, type NativeBackend } from './index.js';

const backends: NativeBackend[] = [];
const make = async (threads: number) => {
  const be = await createNativeBackend({ threads });
  backends.push(be);
  await setBackend(be);
  return be;
};
afterAll(() => backends.forEach((b) => b.dispose!()));

/** A residual block's kernels on one batch: tiled and Winograd convolutions, batch norm, pooling. */
const block = async (seed: number): Promise<Float32Array[]> => {
  const r = new Rng(seed);
  const x = tensor(r.normal(16 * 16 * 32 * 32), [16, 16, 32, 32]);
  const w = tensor(r.normal(16 * 16 * 9, 0, 0.1), [16, 16, 3, 3]);
  const w2 = tensor(r.normal(32 * 16 * 9, 0, 0.1), [32, 16, 3, 3]);
  const g = tensor(r.normal(16, 1, 0.1), [16]);
  const b = tensor(r.normal(16, 0, 0.1), [16]);
  const mean = tensor(r.normal(16, 0, 0.1), [16]);
  const variance = tensor(r.uniform(16, 0.5, 1.5), [16]);
  const outs: Tensor[] = [];
  const y1 = conv2d(x, w, { padding: 1, residual: x, activation: 'relu' });
  const y2 = batchNorm(y1, g, b, { training: false, mean, variance, epsilon: 1e-5 }).y;
  outs.push(y1, y2, conv2d(y2, w2, { padding: 1, stride: 2 }), avgPool2d(y2, { window: 2 }));
  const values = await Promise.all(outs.map((t) => t.data()));
  [x, w, w2, g, b, mean, variance, ...outs].forEach((t) => t.dispose());
  return values;
};

describe('native thread pool task blocks', () => {
  it('taskBlocks() reports and sets the setting, and rejects a non-boolean without changing it', () => {
    const before = addon().taskBlocks();
    expect(before).toBe(true);
    try {
      expect(addon().taskBlocks(false)).toBe(true);
      expect(addon().taskBlocks()).toBe(false);
      expect(() => addon().taskBlocks('yes' as unknown as boolean)).toThrow('taskBlocks: on is a string, expected true or false');
      expect(addon().taskBlocks()).toBe(false);
    } finally {
      addon().taskBlocks(before);
    }
  });

  it('gives the same bits with blocks, one shared counter and one thread, at 2 and 3 threads', async () => {
    await make(1);
    const serial = await block(3);
    for (const threads of [2, 3]) {
      await make(threads);
      for (const on of [true, false]) {
        addon().taskBlocks(on);
        try {
          const got = await block(3);
          // First differing element (-1: none); toEqual on 262144 floats takes seconds.
          const diff = got.map((v, i) => v.findIndex((e, j) => !Object.is(e, serial[i]![j])));
          expect(diff, `threads ${threads}, blocks ${on}`).toEqual([-1, -1, -1, -1]);
          expect(got.map((v) => v.length)).toEqual(serial.map((v) => v.length));
        } finally {
          addon().taskBlocks(true);
        }
      }
    }
  }, 60_000);

  it('runs every task once: each thread starts on its own block, taking from another only when its own is done', async () => {
    const be = await make(2);
    const r = new Rng(4);
    const x = tensor(r.normal(16 * 16 * 32 * 32), [16, 16, 32, 32]);
    const w = tensor(r.normal(16 * 16 * 9, 0, 0.1), [16, 16, 3, 3]);
    await conv2d(x, w, { padding: 1 }).data();
    startNativeTrace();
    const y = conv2d(x, w, { padding: 1 });
    await y.data();
    const events = stopNativeTrace();
    const run = events.find((e) => e.kind === 'run')!;
    const tasks = events.filter((e) => e.kind === 'task');
    expect(run.tasks).toBe(16);
    expect(tasks).toHaveLength(16);
    for (const t of tasks) expect(typeof t.stolen).toBe('boolean');
    // The queue thread (0) takes its own block first: its first task, if it got any (a preempted caller may
    // find the worker done with everything), is never another's.
    const first = tasks.find((t) => t.thread === 0);
    if (first) expect(first.stolen).toBe(false);
    // A thread that took from another's block had finished its own (its later tasks are all taken).
    for (const thread of [0, 1]) {
      const mine = tasks.filter((t) => t.thread === thread).sort((a, b) => a.start - b.start);
      const first = mine.findIndex((t) => t.stolen);
      if (first >= 0) expect(mine.slice(first).every((t) => t.stolen)).toBe(true);
    }
    [x, w, y].forEach((t) => t.dispose());
    expect(be.threads).toBe(2);
  });

  it('runs a section of more tasks than a block counter holds (one per image) completely', async () => {
    await make(2);
    // 3 output channels take the GEMM path, one pool task per image.
    const n = (1 << 20) + 3;
    const xs = new Float32Array(n).map((_, i) => (i % 1000) - 500);
    const x = tensor(xs, [n, 1, 1, 1]);
    const w = tensor([1, -2, 0.5], [3, 1, 1, 1]);
    startNativeTrace();
    const y = await conv2d(x, w).data();
    const events = stopNativeTrace();
    // 2^16 - 1 units at most a run, here of 17 images each.
    expect(events.find((e) => e.kind === 'run')!.tasks).toBe(n);
    expect(events.filter((e) => e.kind === 'task')).toHaveLength(Math.ceil(n / 17));
    let bad = -1;
    for (let i = 0; i < n && bad < 0; i++) {
      if (y[3 * i] !== xs[i] || y[3 * i + 1] !== -2 * xs[i]! || y[3 * i + 2] !== 0.5 * xs[i]!) bad = i;
    }
    expect(bad).toBe(-1);
    x.dispose();
    w.dispose();
  }, 60_000);
});
