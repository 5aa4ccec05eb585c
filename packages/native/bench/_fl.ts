import { planConv2d } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
const [n, c, h, o] = (process.env.SHAPE ?? '1,128,4,128').split(',').map(Number) as [number, number, number, number];
const stride = Number(process.env.STRIDE ?? 1);
const b = await createNativeBackend({ threads: 1, isa: 'avx2', dispatch: 'caller' });
const plan = planConv2d([n, c, h, h], [o, c, 3, 3], { padding: 1, stride });
const x = b.upload(new Float32Array(n * c * h * h).map((_, i) => (i % 13) / 13));
const w = b.upload(new Float32Array(o * c * 9).map((_, i) => (i % 7) / 7 - 0.5));
b.markConstant(w);
const reps = Number(process.env.N ?? 20000);
const flops = 2 * n * o * c * 9 * plan.outShape[2]! * plan.outShape[3]!;
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) b.free(b.kernels.Conv2D({ x, filter: w }, { plan, activation: 'linear' }));
  const us = ((performance.now() - t0) * 1000) / reps;
  console.log(`${us.toFixed(1)} us  ${(flops / us / 1e3).toFixed(1)} GFLOP/s`);
}
