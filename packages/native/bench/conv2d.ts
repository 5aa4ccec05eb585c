// Conv2D 3x3 64->64 on 8x64x56x56, pad 1: npx tsx --conditions=@stridenet/source bench/conv2d.ts [--threads N]
// Backward = Conv2DBackpropInput + Conv2DBackpropFilter (2x the forward FLOPs).
import { conv2dMacs, planConv2d } from '@stridenet/core';
import { backend, fill, report, time } from './common.js';

const b = await backend();
console.log(`native backend: ${b.info().device}, ${b.threads} threads`);
const plan = planConv2d([8, 64, 56, 56], [64, 64, 3, 3], { padding: 1 });
const flops = 2 * conv2dMacs(plan);
const x = b.upload(fill(8 * 64 * 56 * 56));
const w = b.upload(fill(64 * 64 * 9));
const bias = b.upload(fill(64));
const dy = b.upload(fill(8 * 64 * 56 * 56).reverse());
report(
  'conv2d 3x3 64->64 8x56x56 forward',
  flops,
  await time(b, 9, 2, () => b.free(b.kernels.Conv2D({ x, filter: w, bias }, { plan, activation: 'relu' }))),
  b.threads,
);
report(
  'conv2d backward (input + filter)',
  2 * flops,
  await time(b, 9, 2, () => {
    b.free(b.kernels.Conv2DBackpropInput({ dy, filter: w }, { plan }));
    b.free(b.kernels.Conv2DBackpropFilter({ x, dy }, { plan }));
  }),
  b.threads,
);
report('  backprop input', flops, await time(b, 9, 1, () => b.free(b.kernels.Conv2DBackpropInput({ dy, filter: w }, { plan }))), b.threads);
report('  backprop filter', flops, await time(b, 9, 1, () => b.free(b.kernels.Conv2DBackpropFilter({ x, dy }, { plan }))), b.threads);
for (const h of [x, w, bias, dy]) b.free(h);
await b.dispose!();
