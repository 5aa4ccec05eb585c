// The per-kernel floor: microseconds per call of small and medium element-wise kernels (report only).
// 'queued': N calls, then one wait (what a model pays when its JS runs ahead of the kernels);
// 'round trip': a wait after every call (what a read after each op pays, and what model-profile times).
// 'core' rows go through the engine (tensor ops with dispose), the others call the backend kernels
// directly. One backend per thread count, measured in interleaved rounds in this process, so a change
// in the machine's load hits every column alike; min is the least disturbed round, CPU µs the process's
// user+system time per call (all threads, spinning included).
// Run: pnpm exec tsx --conditions @stridenet/source bench/dispatch.ts [--threads 1,2] [--calls N] [--rounds N] [--sizes 16,65536] [--round-trip]
import { Tensor, add, planBroadcast, planReduce, relu, sum, tensor, type Backend } from '@stridenet/core';
import { addon } from '../src/addon.js';
import type { NativeHandle } from '../src/handle.js';
import { createNativeBackend, type NativeBackend } from '../src/index.js';
import { arg, fill } from './common.js';

const threadCounts = arg('--threads', '1,2').split(',').map(Number);
const calls = Number(arg('--calls', '2000'));
const rounds = Number(arg('--rounds', '5'));
const sizes = arg('--sizes', '16,4096,16384,65536,262144,1048576').split(',').map(Number);
const roundTrip = process.argv.includes('--round-trip');
const backends = await Promise.all(threadCounts.map((threads) => createNativeBackend({ threads })));

type Call = () => NativeHandle | Tensor | void;
const KINDS = ['Binary add', 'Unary relu', 'Reduce sum', 'core add', 'core relu', 'core sum'] as const;

/** One call of each kind on backend `be` with `n`-float operands. */
function callsFor(be: NativeBackend, n: number): Call[] {
  const k = be.kernels as unknown as Record<string, (i: unknown, a: unknown) => NativeHandle>;
  const a = be.upload(fill(n));
  const b = be.upload(fill(n));
  const core = be as unknown as Backend;
  const ta = tensor(fill(n), [n], core);
  const tb = tensor(fill(n), [n], core);
  const binary = { op: 'add', plan: planBroadcast('add', [n], [n]) };
  const unary = { op: 'relu', alpha: 0, size: n };
  const reduce = { op: 'sum', plan: planReduce(1, n, 1) };
  return [
    () => k.Binary!({ a, b }, binary),
    () => k.Unary!({ x: a }, unary),
    () => k.Reduce!({ x: a }, reduce),
    () => add(ta, tb),
    () => relu(ta),
    () => sum(ta),
  ];
}

/** µs wall and µs CPU per call over `count` calls, waiting once at the end or after every call. */
function measure(be: NativeBackend, call: Call, count: number): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const r = call();
    if (r instanceof Tensor) r.dispose();
    else if (r) be.free(r);
    if (roundTrip) be.finish();
  }
  be.finish();
  const wall = ((performance.now() - t0) * 1e3) / count;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / count };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0)).padStart(7);
{
  const size = addon().size;
  const h = backends[0]!.upload(fill(16));
  const t0 = performance.now();
  for (let i = 0; i < calls * 10; i++) size(h);
  console.log(`N-API no-op call (addon.size): ${(((performance.now() - t0) * 1e3) / (calls * 10)).toFixed(2)} µs`);
}
console.log(
  `native dispatch floor, isa ${backends[0]!.isa}, ${roundTrip ? 'round trip (wait after each call)' : 'queued (one wait per batch)'}; ` +
    `µs per call over ${rounds} interleaved rounds`,
);
console.log(`${'kernel'.padEnd(11)} ${'floats'.padStart(8)} | ${threadCounts.map((t) => `${t}T median     min     cpu`).join(' | ')}`);
for (const n of sizes) {
  const count = Math.max(20, Math.min(calls, Math.round((calls * 16384) / Math.max(n, 16384))));
  const perBackend = backends.map((be) => callsFor(be, n));
  KINDS.forEach((kind, j) => {
    const samples = backends.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    backends.forEach((be, i) => measure(be, perBackend[i]![j]!, Math.min(count, 50)));
    for (let r = 0; r < rounds; r++) {
      backends.forEach((be, i) => {
        const m = measure(be, perBackend[i]![j]!, count);
        samples[i]!.wall.push(m.wall);
        samples[i]!.cpu.push(m.cpu);
      });
    }
    const cols = samples.map((s) => `${fmt(median(s.wall))} ${fmt(Math.min(...s.wall))} ${fmt(median(s.cpu))}`);
    console.log(`${kind.padEnd(11)} ${String(n).padStart(8)} | ${cols.join(' | ')}`);
  });
}
for (const be of backends) be.dispose?.();
