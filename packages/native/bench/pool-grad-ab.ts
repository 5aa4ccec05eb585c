// The max-pool gradient from recorded taps (MaxPool2DGradArgmax, the training path of overlapping windows) as
// stridenet-bench times it (the call, `await sync()`, free dx), through the addon's run(), one column per thread
// count, in interleaved rounds; µs per call: median over rounds, first quartile, min, and the process's CPU µs per
// call (all threads). `--seq`: a model-like sequence instead (the forward that records the taps, the gradient,
// then an element-wise pass reading dx, as a training step runs them). Two builds are compared by running this
// once per binary (STRIDENET_NATIVE_ADDON=path), alternating processes: two addon binaries loaded in one process
// share one kernel registry (a function-local static, an STB_GNU_UNIQUE symbol bound process-wide), so both run
// the kernels of the first one loaded.
// Run: [STRIDENET_NATIVE_ADDON=x.node] pnpm exec tsx --conditions @stridenet/source bench/pool-grad-ab.ts
//      [--threads 1,2] [--isa avx2] [--calls 50] [--rounds 15] [--shape 8,64,56,56] [--pool max3|max2] [--seq]
import { planPool2d, type Pool2dOptions } from '@stridenet/core';
import { addon } from '../src/addon.js';
import type { NativeHandle, NativeRuntime } from '../src/handle.js';
import { UNARY_CODES } from '../src/op-codes.js';
import { arg, fill } from './common.js';

const threadCounts = arg('--threads', '1,2').split(',').map(Number);
const calls = Number(arg('--calls', '50'));
const rounds = Number(arg('--rounds', '15'));
const isa = arg('--isa', 'auto');
const shape = arg('--shape', '8,64,56,56').split(',').map(Number);
const seq = process.argv.includes('--seq');
const pools: Record<string, Pool2dOptions> = {
  max3: { window: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1] },
  max2: { window: [2, 2], stride: [2, 2] },
};
const name = arg('--pool', 'max3');
const opts = pools[name]!;
const plan = planPool2d(shape, opts, name);
const a = addon();

const x = fill(shape.reduce((p, q) => p * q));
const dyValues = fill(plan.outShape.reduce((p, q) => p * q)).map((v) => v * 3);

interface Subject {
  label: string;
  run: (n: number) => Promise<void>;
  wall: number[];
  cpu: number[];
}

const subjects: Subject[] = threadCounts.map((threads) => {
  const rt: NativeRuntime = a.createRuntime(threads, isa);
  const xh: NativeHandle = a.upload(rt, x);
  const dy: NativeHandle = a.upload(rt, dyValues);
  const recorded = a.run('MaxPool2DArgmax', [xh], plan.encoded, []) as NativeHandle[];
  a.free(recorded[0]!);
  const taps = recorded[1]!;
  const grad = () => a.run('MaxPool2DGradArgmax', [dy, taps], plan.encoded, []) as NativeHandle;
  return {
    label: `${threads}T`,
    run: seq
      ? async (n: number) => {
          for (let i = 0; i < n; i++) {
            const [y, t] = a.run('MaxPool2DArgmax', [xh], plan.encoded, []) as NativeHandle[];
            const dx = grad();
            // What follows the pool's gradient in a training step: an element-wise pass over dx (ReLU's gradient).
            const next = a.run('UnaryGrad', [dx, xh, xh], Int32Array.of(x.length), [UNARY_CODES.relu!, 0]) as NativeHandle;
            await a.sync(rt);
            for (const h of [y!, t!, dx, next]) a.free(h);
          }
        }
      : async (n: number) => {
          for (let i = 0; i < n; i++) {
            const dx = grad();
            await a.sync(rt);
            a.free(dx);
          }
        },
    wall: [],
    cpu: [],
  };
});

const sorted = (xs: number[]) => [...xs].sort((p, q) => p - q);
const fmt = (v: number) => v.toFixed(1).padStart(7);
console.log(`max-pool gradient from taps (${name}), ${shape.join('x')}, isa ${isa}, ${seq ? 'forward+gradient+ReluGrad' : 'gradient'}; ${calls} calls x ${rounds} interleaved rounds; µs per call`);
console.log(`${'column'.padEnd(24)} | median      q1     min     cpu`);
for (let r = -1; r < rounds; r++) {
  for (const s of subjects) {
    const n = r < 0 ? Math.min(calls, 10) : calls;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run(n);
    const wall = ((performance.now() - t0) * 1e3) / n;
    const c = process.cpuUsage(c0);
    if (r < 0) continue;
    s.wall.push(wall);
    s.cpu.push((c.user + c.system) / n);
  }
}
for (const s of subjects) {
  const w = sorted(s.wall);
  console.log(`${s.label.padEnd(24)} | ${[w[w.length >> 1]!, w[w.length >> 2]!, w[0]!, sorted(s.cpu)[s.cpu.length >> 1]!].map(fmt).join(' ')}`);
}
