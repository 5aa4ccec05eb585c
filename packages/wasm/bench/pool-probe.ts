// Max/avg pool 3x3 s2 pad 1 and 2x2 s2 on 8x64x56x56 through the public op, kernel alone and with
// read-back, on 1 and 2 threads (report only). Run: npx tsx --conditions @stridenet/source bench/pool-probe.ts
import { avgPool2d, maxPool2d, planPool2d, setBackend, tensor, type Pool2dOptions } from '@stridenet/core';
import { createWasmBackend } from '../src/index.js';

const shape = [8, 64, 56, 56];
const data = new Float32Array(shape.reduce((a, b) => a * b)).map(() => Math.random() - 0.5);
const stats = (t: number[]): string => {
  t.sort((a, b) => a - b);
  return `median ${t[t.length >> 1]!.toFixed(3)} p10 ${t[Math.floor(t.length * 0.1)]!.toFixed(3)} p90 ${t[Math.floor(t.length * 0.9)]!.toFixed(3)} ms`;
};
for (const threads of [1, 2]) {
  const be = await createWasmBackend({ threads });
  await setBackend(be);
  const x = tensor(data, shape);
  const raw = be.upload(data);
  for (const [name, o] of [['max 3x3 s2 p1', { window: 3, stride: 2, padding: 1 }], ['max 2x2 s2', { window: 2, stride: 2 }], ['avg 3x3 s2 p1', { window: 3, stride: 2, padding: 1 }], ['avg 2x2 s2', { window: 2, stride: 2 }]] as [string, Pool2dOptions][]) {
    const max = name.startsWith('max');
    const plan = planPool2d(shape, o);
    const kernel = (): void => be.free(max ? be.kernels.MaxPool2D({ x: raw }, { plan }) : be.kernels.AvgPool2D({ x: raw }, { plan }));
    const tk: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      kernel();
      if (i >= 50) tk.push(performance.now() - s);
    }
    const to: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      const y = max ? maxPool2d(x, o) : avgPool2d(x, o);
      await y.data();
      y.dispose();
      if (i >= 50) to.push(performance.now() - s);
    }
    console.log(`${threads} thread(s) ${name}: kernel ${stats(tk)}; op + data ${stats(to)}`);
  }
  be.free(raw);
  x.dispose();
  be.dispose();
}
