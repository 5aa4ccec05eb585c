import { planPool2d } from '@stridenet/core';
import { createWasmBackend } from '../src/index.js';
const be = await createWasmBackend({ threads: 1 });
for (const shape of [[8, 64, 56, 56], [1, 8, 56, 56]]) {
const n = shape.reduce((a, b) => a * b);
const x = be.upload(new Float32Array(n).map(() => Math.random()));
for (const opts of [{ window: 3, stride: 2, padding: 'same' as const }, { window: 3, stride: 1, padding: 'same' as const }]) {
const p = planPool2d(shape, opts);
const reps = Math.round(2e8 / n / 9);
for (let r = 0; r < 2; r++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) be.free(be.kernels.MaxPool2D({ x }, { plan: p }));
  const c = process.cpuUsage(c0);
  const outs = p.outShape.reduce((a, b) => a * b);
  console.log(shape.join('x'), JSON.stringify(opts), ((c.user + c.system) / 1000 / reps).toFixed(3), "ms cpu", (outs * reps / ((c.user + c.system) / 1e6) / 1e6).toFixed(0), 'Mout/s');
}}}
