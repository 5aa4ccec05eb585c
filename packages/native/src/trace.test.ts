import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { conv2d, setBackend, tensor } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { addon } from './addon.js';
import { createNativeBackend, startNativeTrace, stopNativeTrace } from './index.js';

describe('native runtime timeline', () => {
  it('records kernel calls, inline runs, queued jobs and the pool tasks inside them, then stops', async () => {
    const be = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    await setBackend(be);
    try {
      const x = tensor(new Float32Array(4 * 16 * 12 * 12).fill(0.5), [4, 16, 12, 12]);
      const w = tensor(new Float32Array(16 * 16 * 9).fill(0.25), [16, 16, 3, 3]);
      await conv2d(x, w, { padding: 1 }).data();
      startNativeTrace();
      // The first kernel after a wait runs on the calling thread; the next one is queued.
      const first = conv2d(x, w, { padding: 1 });
      const y = conv2d(x, w, { padding: 1 });
      const values = await y.data();
      const events = stopNativeTrace();
      first.dispose();
      expect(values[0]).toBeCloseTo(0.5 * 0.25 * 16 * 4, 4);
      const calls = events.filter((e) => e.kind === 'call');
      expect(calls).toHaveLength(2);
      expect(events.filter((e) => e.kind === 'inline')).toEqual([expect.objectContaining({ kernel: 'Conv2D', thread: -1 })]);
      const call = calls[1];
      const job = events.find((e) => e.kind === 'job');
      expect(call).toMatchObject({ kernel: 'Conv2D', thread: -1 });
      expect(job).toMatchObject({ kernel: 'Conv2D', thread: 0 });
      // Queued during the call, run after it was queued.
      expect(job!.queued).toBe(call!.start);
      expect(job!.start).toBeGreaterThanOrEqual(job!.queued);
      const tasks = events.filter((e) => e.kind === 'task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const t of tasks.filter((e) => e.start >= call!.start)) {
        expect(t.start).toBeGreaterThanOrEqual(job!.start);
        expect(t.end).toBeLessThanOrEqual(job!.end);
        expect([0, 1]).toContain(t.thread);
        expect(t.cpu).toBeGreaterThanOrEqual(0);
      }
      // Stopped: later calls record nothing.
      await conv2d(x, w, { padding: 1 }).data();
      startNativeTrace();
      expect(stopNativeTrace()).toEqual([]);
    } finally {
      be.dispose!();
    }
  });

  it('queues the first kernel after a wait when the program issued more than two kernels between its last waits', async () => {
    const be = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    await setBackend(be);
    try {
      const x = tensor(new Float32Array(4 * 16 * 12 * 12).fill(0.5), [4, 16, 12, 12]);
      const w = tensor(new Float32Array(16 * 16 * 9).fill(0.25), [16, 16, 3, 3]);
      const firstAfterWait = async (kernelsBefore: number) => {
        const ys = Array.from({ length: kernelsBefore }, () => conv2d(x, w, { padding: 1 }));
        await ys.at(-1)!.data();
        ys.forEach((y) => y.dispose());
        startNativeTrace();
        const y = conv2d(x, w, { padding: 1 });
        await y.data();
        y.dispose();
        return stopNativeTrace().find((e) => e.kind === 'inline' || e.kind === 'job')!.kind;
      };
      // A model's pass (a run of kernels, then a read): its next pass's first kernel goes to the queue.
      expect(await firstAfterWait(3)).toBe('job');
      // A program that waits after each kernel (or two) runs the next on its own thread.
      expect(await firstAfterWait(1)).toBe('inline');
      expect(await firstAfterWait(2)).toBe('inline');
      expect(await firstAfterWait(5)).toBe('job');
    } finally {
      be.dispose!();
    }
  });

  /** Where each of `count` 4x16x12x12 convolutions issued together ran ('inline' or 'job'), and the last one's first value. */
  const placements = async (count: number): Promise<{ kinds: string[]; value: number }> => {
    const x = tensor(new Float32Array(4 * 16 * 12 * 12).fill(0.5), [4, 16, 12, 12]);
    const w = tensor(new Float32Array(16 * 16 * 9).fill(0.25), [16, 16, 3, 3]);
    startNativeTrace();
    const ys = Array.from({ length: count }, () => conv2d(x, w, { padding: 1 }));
    const values = await ys.at(-1)!.data();
    const kinds = stopNativeTrace()
      .filter((e) => e.kind === 'inline' || e.kind === 'job')
      .map((e) => e.kind);
    for (const t of [x, w, ...ys]) t.dispose();
    return { kinds, value: values[13 * 12 + 5]! };
  };

  it("dispatch 'caller' runs every kernel on the calling thread, with the queue's results", async () => {
    const caller = await createNativeBackend({ threads: 2, dispatch: 'caller' });
    const queued = await createNativeBackend({ threads: 2, dispatch: 'queue' });
    try {
      expect(caller.dispatch).toBe('caller');
      expect(caller.info().notes).toContain('kernels run on the calling thread');
      await setBackend(caller);
      const here = await placements(4);
      expect(here.kinds).toEqual(['inline', 'inline', 'inline', 'inline']);
      await setBackend(queued);
      const there = await placements(4);
      expect(there.kinds).toContain('job');
      // An interior output: 16 channels x 9 taps x 0.5 x 0.25.
      expect(here.value).toBe(there.value);
      expect(here.value).toBeCloseTo(16 * 9 * 0.5 * 0.25, 5);
    } finally {
      caller.dispose!();
      queued.dispose!();
    }
  });

  // The bench pins its process to one CPU for 1 thread (taskset -p, after the backends exist); this worker
  // process is its own (vitest's forks pool), so pinning it touches no other test file.
  const cpuList = /^Cpus_allowed_list:\s*(\S+)$/m.exec(process.platform === 'linux' ? readFileSync('/proc/self/status', 'utf8') : '')?.[1];
  const taskset = spawnSync('taskset', ['--version']).status === 0;
  it.runIf(cpuList !== undefined && taskset)("dispatch 'auto' runs kernels on the calling thread while the process is pinned to one CPU", async () => {
    const pin = (list: string) => execFileSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
    const be = await createNativeBackend({ threads: 1 });
    await setBackend(be);
    try {
      expect(be.dispatch).toBe('auto');
      pin(cpuList!.split(/[,-]/)[0]!);
      // Auto reads the process's CPUs again at most every 10 ms.
      await new Promise((r) => setTimeout(r, 30));
      expect((await placements(4)).kinds).toEqual(['inline', 'inline', 'inline', 'inline']);
      pin(cpuList!);
      await new Promise((r) => setTimeout(r, 30));
      if (availableParallelism() > 1) expect((await placements(4)).kinds).toContain('job');
    } finally {
      pin(cpuList!);
      be.dispose!();
    }
  });

  it('warmSpin sets the pools\' warm spin and rejects a bad value without changing it', () => {
    const before = addon().warmSpin();
    expect(before).toBeGreaterThanOrEqual(0);
    try {
      expect(addon().warmSpin(50)).toBe(before);
      expect(addon().warmSpin()).toBe(50);
      expect(() => addon().warmSpin(-1)).toThrow('warmSpin: microseconds is -1, expected a number from 0 to 1e6');
      expect(() => addon().warmSpin(Number.NaN)).toThrow('expected a number from 0 to 1e6');
      expect(addon().warmSpin()).toBe(50);
    } finally {
      addon().warmSpin(before);
    }
  });
});
