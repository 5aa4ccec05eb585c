// The kernels of one LeNet-5 inference at batch 256 (C1 conv 1->6 5x5 pad 2 + relu, max pool, C3 conv 6->16
// 5x5 + relu, max pool, dense 400->120->84->10), each called straight on the native backend with the model's
// shapes, kernels interleaved round by round: median wall and process CPU time (all threads) per kernel.
// On a shared machine CPU time is the steadier figure; compare builds by alternating processes with
// STRIDENET_NATIVE_ADDON=<path to a .node> (see src/addon.ts).
// Run: pnpm exec tsx --conditions @stridenet/source bench/lenet5-kernels.ts [--threads N] [--rounds 41] [--batch 256] [--isa=avx2]
import { planConv2d, planMatMul, planPool2d } from '@stridenet/core';
import { backend, fill } from './common.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 41);
const N = arg('batch', 256);
const b = await backend();
const k = b.kernels;
const up = (n: number) => b.upload(fill(n));
const c1 = planConv2d([N, 1, 28, 28], [6, 1, 5, 5], { padding: 2 });
const p1 = planPool2d([N, 6, 28, 28], { window: 2 });
const c3 = planConv2d([N, 6, 14, 14], [16, 6, 5, 5], {});
const p2 = planPool2d([N, 16, 10, 10], { window: 2 });
const dense = [
  [400, 120],
  [120, 84],
  [84, 10],
].map(([i, o]) => ({ plan: planMatMul([N, i!], [i!, o!], false, false), a: up(N * i!), w: up(i! * o!), bias: up(o!), relu: o !== 10 }));
const x1 = up(N * 784);
const w1 = up(150);
const b1 = up(6);
const x2 = up(N * 6 * 28 * 28);
const x3 = up(N * 6 * 14 * 14);
const w3 = up(2400);
const b3 = up(16);
const x4 = up(N * 16 * 100);
const cases: [string, () => unknown][] = [
  ['conv1 1->6 5x5 p2 28x28', () => k.Conv2D({ x: x1, filter: w1, bias: b1 }, { plan: c1, activation: 'relu' })],
  ['max pool 2x2 28x28', () => k.MaxPool2D({ x: x2 }, { plan: p1 })],
  ['conv2 6->16 5x5 14x14', () => k.Conv2D({ x: x3, filter: w3, bias: b3 }, { plan: c3, activation: 'relu' })],
  ['max pool 2x2 10x10', () => k.MaxPool2D({ x: x4 }, { plan: p2 })],
  ...dense.map(
    (d) =>
      [`dense ${d.plan.k}->${d.plan.n}`, () => k.MatMul({ a: d.a, b: d.w, bias: d.bias }, { plan: d.plan, activation: d.relu ? 'relu' : 'linear' })] as [
        string,
        () => unknown,
      ],
  ),
];
const wall = cases.map(() => [] as number[]);
const cpu = cases.map(() => [] as number[]);
for (let r = -3; r < rounds; r++) {
  for (const [i, [, run]] of cases.entries()) {
    const [t0, u0] = [performance.now(), process.cpuUsage()];
    const out = run();
    b.finish();
    const u = process.cpuUsage(u0);
    if (r >= 0) {
      wall[i]!.push(performance.now() - t0);
      cpu[i]!.push((u.user + u.system) / 1000);
    }
    b.free(out as Parameters<typeof b.free>[0]);
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
console.log(`lenet5 kernels b${N}, native ${b.isa}, ${b.threads} thread(s), ${rounds} rounds: median wall / CPU ms`);
let tw = 0;
let tc = 0;
for (const [i, [name]] of cases.entries()) {
  tw += median(wall[i]!);
  tc += median(cpu[i]!);
  console.log(`${name.padEnd(26)} ${median(wall[i]!).toFixed(3).padStart(7)} ${median(cpu[i]!).toFixed(3).padStart(7)}`);
}
console.log(`${'sum'.padEnd(26)} ${tw.toFixed(3).padStart(7)} ${tc.toFixed(3).padStart(7)}`);
await b.dispose!();
