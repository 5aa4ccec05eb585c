// The same kernels on two ISA paths in one process, interleaved round by round: median process CPU ms per
// call on each path (1 thread by default), for the kernels that run outside the direct convolutions of
// isa-check (pointwise 1x1 convolutions and their gradients by GEMM or direct kernels, dense layers, pools).
// npx tsx --conditions=@stridenet/source bench/isa-ab.ts [--isas avx2,avx512] [--rounds 7] [--threads 1] [--only TEXT]
import { planConv2d, planMatMul, planPool2d, type Conv2dOptions, type Pool2dOptions } from '@stridenet/core';
import { createNativeBackend, type NativeBackend, type NativeIsa } from '../src/index.js';
import { arg, fill } from './common.js';

const isas = arg('--isas', 'avx2,avx512').split(',') as NativeIsa[];
const rounds = Number(arg('--rounds', '7'));
const threads = Number(arg('--threads', '1'));
const only = arg('--only', '');
const backends = await Promise.all(isas.map((isa) => createNativeBackend({ threads, isa })));

type Case = { name: string; setup: (b: NativeBackend) => () => void };
const convs: [string, number[], number[], Conv2dOptions][] = [
  ['1x1 64->256 8x56x56', [8, 64, 56, 56], [256, 64, 1, 1], {}],
  ['1x1 256->64 8x56x56', [8, 256, 56, 56], [64, 256, 1, 1], {}],
  ['1x1 128->128 32x16x16', [32, 128, 16, 16], [128, 128, 1, 1], {}],
  ['1x1 512->512 2x7x7', [2, 512, 7, 7], [512, 512, 1, 1], {}],
  ['1x1 16->32 64x8x8', [64, 16, 8, 8], [32, 16, 1, 1], {}],
  ['1x1 s2 64->128 2x56x56', [2, 64, 56, 56], [128, 64, 1, 1], { stride: 2 }],
  ['1x1 s2 256->512 2x14x14', [2, 256, 14, 14], [512, 256, 1, 1], { stride: 2 }],
  ['1x1 s2 16->32 64x32x32', [64, 16, 32, 32], [32, 16, 1, 1], { stride: 2 }],
];
const pools: [string, 'max' | 'avg', number[], Pool2dOptions][] = [
  ['2x2 s2 8x64x56x56', 'max', [8, 64, 56, 56], { window: 2, stride: 2 }],
  ['3x3 s2 p1 8x64x56x56', 'max', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1 }],
  ['2x2 s2 8x64x56x56', 'avg', [8, 64, 56, 56], { window: 2, stride: 2 }],
  ['3x3 s2 p1 8x64x56x56', 'avg', [8, 64, 56, 56], { window: 3, stride: 2, padding: 1, countIncludePad: false }],
  ['3x3 s2 p1 2x64x112x112', 'max', [2, 64, 112, 112], { window: 3, stride: 2, padding: 1 }],
  ['2x2 s2 256x6x28x28 (LeNet)', 'max', [256, 6, 28, 28], { window: 2, stride: 2 }],
  ['2x2 s2 256x16x10x10 (LeNet)', 'max', [256, 16, 10, 10], { window: 2, stride: 2 }],
  ['global avg 8x8 64x64x8x8', 'avg', [64, 64, 8, 8], { window: 8, stride: 8 }],
];
const cases: Case[] = [];
for (const [name, xs, ws, o] of convs) {
  const plan = planConv2d(xs, ws, o);
  const n = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
  const up = (b: NativeBackend) => ({ x: b.upload(fill(n(plan.inShape))), w: b.upload(fill(n(plan.filterShape))), dy: b.upload(fill(n(plan.outShape))) });
  cases.push({ name: `conv ${name} fwd`, setup: (b) => { const h = up(b); return () => b.free(b.kernels.Conv2D({ x: h.x, filter: h.w }, { plan, activation: 'relu' })); } });
  cases.push({ name: `conv ${name} dx`, setup: (b) => { const h = up(b); return () => b.free(b.kernels.Conv2DBackpropInput({ dy: h.dy, filter: h.w }, { plan })); } });
  cases.push({ name: `conv ${name} dw`, setup: (b) => { const h = up(b); return () => b.free(b.kernels.Conv2DBackpropFilter({ x: h.x, dy: h.dy }, { plan })); } });
}
for (const [name, kind, xs, o] of pools) {
  const plan = planPool2d(xs, o);
  const n = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
  const fwd = kind === 'max' ? 'MaxPool2D' : 'AvgPool2D';
  cases.push({ name: `${kind}pool ${name}`, setup: (b) => { const x = b.upload(fill(n(xs))); return () => b.free((b.kernels as any)[fwd]({ x }, { plan })); } });
  cases.push({
    name: `${kind}pool ${name} grad`,
    setup: (b) => {
      const x = b.upload(fill(n(xs))), dy = b.upload(fill(n(plan.outShape)));
      return kind === 'max' ? () => b.free((b.kernels as any).MaxPool2DGrad({ dy, x }, { plan })) : () => b.free((b.kernels as any).AvgPool2DGrad({ dy }, { plan }));
    },
  });
}
for (const [m, k, nn, ta, tb] of [[256, 1024, 1024, false, false], [256, 1024, 1024, true, false], [1024, 256, 1024, false, true], [1024, 1024, 1024, false, false]] as const) {
  const plan = planMatMul(ta ? [k, m] : [m, k], tb ? [nn, k] : [k, nn], ta, tb);
  cases.push({ name: `matmul ${m}x${k}x${nn}${ta ? ' tA' : ''}${tb ? ' tB' : ''}`, setup: (b) => { const a = b.upload(fill(m * k)), c = b.upload(fill(k * nn)); return () => b.free(b.kernels.MatMul({ a, b: c }, { plan, activation: 'linear' })); } });
}
const picked = cases.filter((c) => c.name.includes(only));
const runs = picked.map((c) => backends.map((b) => c.setup(b)));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const times = picked.map(() => backends.map(() => [] as number[]));
for (let r = 0; r < rounds + 1; r++) {
  for (let i = 0; i < picked.length; i++)
    for (let j = 0; j < backends.length; j++) {
      const b = backends[j]!;
      const reps = 3;
      runs[i]![j]!();
      b.finish!();
      const t0 = cpu();
      for (let k = 0; k < reps; k++) { runs[i]![j]!(); b.finish!(); }
      if (r > 0) times[i]![j]!.push((cpu() - t0) / reps);
    }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(`${threads} thread(s), ${rounds} rounds, median CPU ms per call: ${isas.join(' / ')}`);
for (let i = 0; i < picked.length; i++) {
  const m = times[i]!.map(med);
  console.log(`${picked[i]!.name.padEnd(40)} ${m.map((x) => x.toFixed(3).padStart(8)).join(' ')}   ratio ${(m[m.length - 1]! / m[0]!).toFixed(2)}`);
}
