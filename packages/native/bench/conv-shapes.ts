// Forward, input-gradient and filter-gradient speed (best of 7) of the All-CNN-C and LeNet-5 conv layers:
// npx tsx --conditions=@stridenet/source bench/conv-shapes.ts [--threads N] [--isa=avx512|avx2|neon|portable]
import { conv2dMacs, planConv2d, type Conv2dOptions } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { fill, isaArg, threadsArg, time } from './common.js';

const threads = threadsArg() ?? 1;
const b = await createNativeBackend({ threads, isa: isaArg() ?? 'auto' });
console.log(`isa ${b.isa}, ${threads} thread(s)`);
const shapes: [string, number[], number[], Conv2dOptions][] = [
  ['allcnn 96->96 32x32', [16, 96, 32, 32], [96, 96, 3, 3], { padding: 1 }],
  ['allcnn 96->96 s2', [16, 96, 32, 32], [96, 96, 3, 3], { padding: 1, stride: 2 }],
  ['allcnn 192->192 16x16', [16, 192, 16, 16], [192, 192, 3, 3], { padding: 1 }],
  ['allcnn 192->192 s2', [16, 192, 16, 16], [192, 192, 3, 3], { padding: 1, stride: 2 }],
  ['allcnn 192->192 8x8 valid', [16, 192, 8, 8], [192, 192, 3, 3], {}],
  ['lenet C1 1->6 5x5 pad 2', [64, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }],
  ['lenet C3 6->16 5x5', [64, 6, 14, 14], [16, 6, 5, 5], {}],
];
const only = process.argv.find((a) => a.startsWith('--pass='))?.slice(7);
for (const [name, xs, ws, o] of shapes) {
  const plan = planConv2d(xs, ws, o);
  const flops = 2 * conv2dMacs(plan);
  const x = b.upload(fill(plan.inShape.reduce((a, d) => a * d)));
  const w = b.upload(fill(plan.filterShape.reduce((a, d) => a * d)));
  const dy = b.upload(fill(plan.outShape.reduce((a, d) => a * d)));
  const line: string[] = [];
  for (const [pass, run] of [
    ['fwd', () => b.free(b.kernels.Conv2D({ x, filter: w }, { plan, activation: 'relu' }))],
    ['bwd-in', () => b.free(b.kernels.Conv2DBackpropInput({ dy, filter: w }, { plan }))],
    ['bwd-w', () => b.free(b.kernels.Conv2DBackpropFilter({ x, dy }, { plan }))],
  ] as const) {
    if (only && only !== pass) continue;
    const t = await time(b, 7, 1, run);
    // Best wall time, and GFLOP per CPU-second (what one core delivers when it is not preempted).
    line.push(`${pass} ${(flops / t.min / 1e9).toFixed(0).padStart(4)} GFLOP/s (${(flops / t.cpu / 1e9).toFixed(0).padStart(4)}/CPU-s)`);
  }
  console.log(`${name.padEnd(28)} ${line.join('   ')}`);
  for (const h of [x, w, dy]) b.free(h);
}
b.dispose?.();
