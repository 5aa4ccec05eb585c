// SGEMM GFLOP/s of the native backend: npx tsx --conditions=@stridenet/source bench/sgemm.ts [--threads N]
import { planMatMul } from '@stridenet/core';
import { backend, fill, report, time } from './common.js';

const b = await backend();
console.log(`native backend: ${b.info().device}, ${b.threads} threads`);
for (const [n, reps] of [
  [1024, 15],
  [4096, 5],
] as const) {
  const plan = planMatMul([n, n], [n, n]);
  const x = b.upload(fill(n * n));
  const y = b.upload(fill(n * n).reverse());
  const s = await time(b, reps, 2, () => b.free(b.kernels.MatMul({ a: x, b: y }, { plan, activation: 'linear' })));
  report(`SGEMM ${n}^3`, 2 * n ** 3, s, b.threads);
  b.free(x);
  b.free(y);
}
await b.dispose!();
