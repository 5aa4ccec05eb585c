// CPU and wall time of whole training steps (JS included), for A/B runs of two builds.
// Run: pnpm exec tsx --conditions @stridenet/source bench/step-cpu.ts [model] [batch] [--threads N] [--isa=avx2] [--steps N]
import { Rng, Sgd, createModel, setBackend, tensor, trainStep } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { isaArg, threadsArg } from './common.js';

const [model = 'allCnnC', batchArg = '32'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !['--threads', '--steps'].includes(all[i - 1] ?? ''));
const batch = Number(batchArg);
const threads = threadsArg();
const stepsIdx = process.argv.indexOf('--steps');
const steps = stepsIdx > 0 ? Number(process.argv[stepsIdx + 1]) : 5;
const isa = isaArg() ?? 'auto';
const be = await createNativeBackend({ ...(threads ? { threads } : {}), isa });
await setBackend(be);
const inputShape = [3, 32, 32];
const m = createModel(model, { seed: 1, numClasses: 10, inputShape });
const x = tensor(new Float32Array(batch * 3 * 32 * 32).map(() => Math.random()), [batch, ...inputShape]);
const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
const opt = new Sgd({ lr: 0.01, momentum: 0.9 });
const rng = new Rng(1);
const cpu: number[] = [];
const wall: number[] = [];
for (let i = 0; i < steps + 1; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await trainStep(m, opt, x, labels, { rng });
  await be.sync?.();
  const c = process.cpuUsage(c0);
  if (i > 0) {
    cpu.push((c.user + c.system) / 1e3);
    wall.push(performance.now() - t0);
  }
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
console.log(`${model} b${batch} ${be.isa} ${be.threads}T cpu ms median ${med(cpu).toFixed(1)} [${cpu.map((v) => v.toFixed(0)).join(' ')}] wall median ${med(wall).toFixed(1)} [${wall.map((v) => v.toFixed(0)).join(' ')}]`);
opt.dispose();
m.dispose();
be.dispose?.();
