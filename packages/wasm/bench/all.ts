/**
 * Kernel benchmarks (report only): conv2d 3x3 64->64 on 8x64x56x56 (GFLOP/s), max pool 3x3 s2 on
 * the same input (GB/s of input + output), dense 1024x1024 at batch 256 (GFLOP/s).
 * Run: npx tsx --conditions @stridenet/source bench/all.ts [--threads N] [--iters N]
 */
import { conv2dMacs, planConv2d, planMatMul, planPool2d } from '@stridenet/core';
import { loadavg } from 'node:os';
import { createWasmBackend } from '../src/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const threadsArg = process.argv.includes('--threads') ? arg('threads', 1) : undefined;
const iters = arg('iters', 10);

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

/** Wall-clock median and best, plus process CPU time per run (all threads): on a shared, loaded machine the CPU figure shows what the kernels cost. */
function time(fn: () => void): { median: number; min: number; cpu: number } {
  fn(); // warm-up (first call compiles tiers and grows memory)
  const t: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  const c = process.cpuUsage(c0);
  t.sort((a, b) => a - b);
  return { median: t[t.length >> 1]!, min: t[0]!, cpu: (c.user + c.system) / 1000 / iters };
}

const be = await createWasmBackend(threadsArg === undefined ? {} : { threads: threadsArg });
const k = be.kernels;
console.log(`load average ${loadavg().map((x: number) => x.toFixed(1)).join(' ')}`);
console.log(`wasm backend: ${be.info().device}${be.info().notes?.length ? ` (${be.info().notes!.join('; ')})` : ''}`);

const convPlan = planConv2d([8, 64, 56, 56], [64, 64, 3, 3], { padding: 'same' });
const x = be.upload(random(8 * 64 * 56 * 56));
const w = be.upload(random(64 * 64 * 9));
const flops = 2 * conv2dMacs(convPlan);
const conv = time(() => be.free(k.Conv2D({ x, filter: w }, { plan: convPlan, activation: 'linear' })));
console.log(`conv2d 3x3 64->64 8x64x56x56: ${conv.median.toFixed(1)} ms, ${(flops / conv.median / 1e6).toFixed(1)} GFLOP/s (best ${(flops / conv.min / 1e6).toFixed(1)}; cpu ${conv.cpu.toFixed(1)} ms)`);

if (process.argv.includes('--backward')) {
  const dy = be.upload(random(8 * 64 * 56 * 56));
  const bi = time(() => be.free(k.Conv2DBackpropInput({ dy, filter: w }, { plan: convPlan })));
  console.log(`conv2d backprop input: ${bi.median.toFixed(1)} ms, ${(flops / bi.median / 1e6).toFixed(1)} GFLOP/s`);
  const bf = time(() => be.free(k.Conv2DBackpropFilter({ x, dy }, { plan: convPlan })));
  console.log(`conv2d backprop filter: ${bf.median.toFixed(1)} ms, ${(flops / bf.median / 1e6).toFixed(1)} GFLOP/s`);
  be.free(dy);
}

const poolPlan = planPool2d([8, 64, 56, 56], { window: 3, stride: 2, padding: 'same' });
const bytes = 4 * (8 * 64 * 56 * 56 + poolPlan.outShape.reduce((a, b) => a * b, 1));
const pool = time(() => be.free(k.MaxPool2D({ x }, { plan: poolPlan })));
console.log(`max pool 3x3 s2 8x64x56x56: ${pool.median.toFixed(2)} ms, ${(bytes / pool.median / 1e6).toFixed(1)} GB/s (best ${(bytes / pool.min / 1e6).toFixed(1)}; cpu ${pool.cpu.toFixed(2)} ms)`);

const mm = planMatMul([256, 1024], [1024, 1024]);
const a = be.upload(random(256 * 1024));
const b = be.upload(random(1024 * 1024));
const mflops = 2 * 256 * 1024 * 1024;
const dense = time(() => be.free(k.MatMul({ a, b }, { plan: mm, activation: 'linear' })));
console.log(`dense 1024x1024 batch 256: ${dense.median.toFixed(1)} ms, ${(mflops / dense.median / 1e6).toFixed(1)} GFLOP/s (best ${(mflops / dense.min / 1e6).toFixed(1)}; cpu ${dense.cpu.toFixed(1)} ms)`);
await be.dispose?.();
