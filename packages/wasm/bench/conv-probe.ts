// Times Conv2D on the All-CNN-C layer shapes (batch 64), one thread, report only.
// Reports the best of iters runs. Run: npx tsx --conditions @stridenet/source bench/conv-probe.ts [threads] [iters]
import { conv2dMacs, planConv2d } from '@stridenet/core';
import { createWasmBackend } from '../src/index.js';

const threads = Number(process.argv[2] ?? 1);
const iters = Number(process.argv[3] ?? 3);
const be = await createWasmBackend({ threads });
const k = be.kernels;
const B = 64;
const layers: [number[], number[], number, number][] = [
  [[B, 3, 32, 32], [96, 3, 3, 3], 1, 1],
  [[B, 96, 32, 32], [96, 96, 3, 3], 1, 1],
  [[B, 96, 32, 32], [96, 96, 3, 3], 2, 1],
  [[B, 96, 16, 16], [192, 96, 3, 3], 1, 1],
  [[B, 192, 16, 16], [192, 192, 3, 3], 1, 1],
  [[B, 192, 16, 16], [192, 192, 3, 3], 2, 1],
  [[B, 192, 8, 8], [192, 192, 3, 3], 1, 0],
  [[B, 192, 6, 6], [192, 192, 1, 1], 1, 0],
  [[B, 192, 6, 6], [10, 192, 1, 1], 1, 0],
];
let total = 0;
for (const [xs, fs, stride, padding] of layers) {
  const plan = planConv2d(xs, fs, { stride, padding });
  const x = be.upload(new Float32Array(xs.reduce((a, b) => a * b)).map(() => Math.random() - 0.5));
  const f = be.upload(new Float32Array(fs.reduce((a, b) => a * b)).map(() => Math.random() - 0.5));
  const bias = be.upload(new Float32Array(fs[0]!).map(() => Math.random() - 0.5));
  be.free(k.Conv2D({ x, filter: f, bias }, { plan, activation: 'relu' }));
  const t: number[] = [];
  for (let i = 0; i < iters; i++) {
    const s = performance.now();
    be.free(k.Conv2D({ x, filter: f, bias }, { plan, activation: 'relu' }));
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const ms = t[0]!; // best of iters: the least disturbed run on a shared machine
  total += ms;
  console.log(`${ms.toFixed(1).padStart(7)} ms ${((2 * conv2dMacs(plan)) / ms / 1e6).toFixed(1).padStart(5)} GFLOP/s  x${JSON.stringify(xs)} f${JSON.stringify(fs)} s${stride} p${padding}`);
  be.free(x); be.free(f); be.free(bias);
}
console.log(`${total.toFixed(1).padStart(7)} ms total`);
be.dispose();
