// A sync() or read() pending when its JavaScript environment goes away: a worker thread terminated or ending
// itself with process.exit(), a process that exits. The promise's thread-safe function is finalized with the
// environment while the queued work still runs (the runtime's ~Core runs what is queued before it joins the
// queue thread), and the queue thread must not call it after that (addon.cc, settleAfter). The workers and
// child processes run testing/teardown.mjs against the binary this suite loads (the ASan run's included).
// The child processes free memory filled with a byte pattern (glibc's MALLOC_PERTURB_ with its per-thread
// cache off, ASan's max_free_fill_size), so that a call into a freed thread-safe function reads garbage
// locks and aborts rather than finding the old bytes there.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planMatMul } from '@stridenet/core';
import { describe, expect, it } from 'vitest';
import { nativeBinary } from './addon.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'teardown.mjs');
type WorkerEnd = { messages: unknown[]; code: number };
type Driver = { runWorker(data: object): Promise<WorkerEnd> };

// 8 products of 1024 x 1024 (17 GFLOP) outlast a worker's teardown by far; each teardown waits for them (under
// ASan, at load 10 on 2 vCPUs, 16 products made these tests take 26-28 s: hence the longer timeouts). The ASan
// build (scripts/test-asan.mjs sets STRIDENET_ASAN) runs them about 13x slower, so 2 products there still outlast a
// teardown by more than 8 do in the plain build. At load 10-13 here the first two tests took 145 and 133 s with 8
// products under ASan, 27 and 29 s with 2 (CI, idle, with 8: 22.6 and 21.0 s).
const n = 1024;
const jobs = process.env.STRIDENET_ASAN === '1' ? 2 : 8;
const timeout = 180_000;
const enc = (size: number) => Array.from(planMatMul([size, size], [size, size]).encoded);
const work = () => ({ addon: nativeBinary().path, n, jobs, enc: Int32Array.from(enc(n)) });

const poisoned = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
  MALLOC_PERTURB_: '165',
  ...(process.env.ASAN_OPTIONS ? { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS}:max_free_fill_size=4096` } : {}),
});

function child(config: object) {
  return spawnSync(process.execPath, [script, JSON.stringify(config)], { encoding: 'utf8', env: poisoned(), timeout });
}

describe('native backend: a pending sync() or read() when its environment is torn down', () => {
  it('a worker terminated or calling process.exit() with work, sync() and read() pending: this thread goes on, a new worker works', async () => {
    const { runWorker } = (await import(script)) as Driver;
    for (const end of ['terminate', 'exit', 'terminate', 'exit']) {
      const r = await runWorker({ ...work(), end });
      expect(r.code).toBe(end === 'exit' ? 7 : 1);
      // Neither had settled an event loop turn after they were called: the teardown found the work running.
      if (end === 'terminate' || r.messages.length > 0) expect(r.messages).toEqual([{ settled: false }]);
    }
    const r = await runWorker({ addon: nativeBinary().path, n: 64, jobs: 3, enc: Int32Array.from(enc(64)), end: 'await' });
    expect(r).toEqual({ messages: [{ ok: true }], code: 0 });
  }, timeout);

  it('the same in a child process, whose freed memory is filled with a pattern: it exits 0', () => {
    const r = child({ ...work(), enc: enc(n), smallEnc: enc(64), run: 'workers' });
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const ends = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as WorkerEnd & { end: string });
    expect(ends.map((e) => [e.end, e.code])).toEqual([['terminate', 1], ['exit', 7], ['terminate', 1], ['exit', 7], ['await', 0]]);
    expect(ends.at(-1)!.messages).toEqual([{ ok: true }]);
  }, timeout);

  it('a process calling process.exit(0) with work, sync() and read() pending exits 0, without an abort', () => {
    for (const run of ['exit-now', 'exit-later']) {
      const r = child({ ...work(), enc: enc(n), run });
      expect(r.stderr).toBe('');
      expect(r.signal).toBeNull();
      expect(r.status).toBe(0);
    }
  }, timeout);
});
