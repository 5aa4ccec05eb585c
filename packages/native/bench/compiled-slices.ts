// Compiled inference in batch slices (core's maxActivationBytes) against whole batches, on the native backend:
// peak activation bytes (profileMemory) and time per run, variants interleaved run by run in one process.
// Reports wall and process CPU time (all threads; on a shared machine CPU time is the steadier figure).
// --spins 0,200: also interleave the pools' warm spin (microseconds, ThreadPool::setBusy in runtime.h).
// Run: pnpm exec tsx --conditions @stridenet/source bench/compiled-slices.ts [model] [batch] [--threads N]
//      [--budgets auto,Infinity,4194304] [--spins 200] [--rounds 31]   (model: resnet20 | resnet18 (224x224) | lenet5 | allCnnC)
import { Rng, compile, createModel, setBackend, tensor } from '@stridenet/core';
import { addon } from '../src/addon.js';
import { backend } from './common.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const [model = 'resnet20', batchArg = '64'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const batch = Number(batchArg);
const budgets = arg('budgets', 'auto,Infinity').split(',').map((b) => (b === 'auto' ? 'auto' : Number(b)));
const rounds = Number(arg('rounds', '31'));
const spins = arg('spins', String(addon().warmSpin())).split(',').map(Number);
const be = await backend();
await setBackend(be);
const options = model === 'resnet18' ? { numClasses: 1000, inputShape: [3, 224, 224] } : model === 'lenet5' ? {} : { inputShape: [3, 32, 32] };
const m = createModel(model, { seed: 1, ...options });
const x = tensor(new Rng(1).normal(batch * m.inputShape.reduce((a, b) => a * b, 1)), [batch, ...m.inputShape]);
const variants = await Promise.all(budgets.map((b) => compile(m, { mode: 'inference', maxActivationBytes: b })));
const MiB = 1024 * 1024;
console.log(`${model} b${batch}, native ${be.isa}, ${be.threads} thread(s)`);
for (const [i, c] of variants.entries()) {
  const p = await c.profileMemory(x);
  const peak = (b: number) => `${(b / MiB).toFixed(2)} MiB`;
  console.log(`budget ${budgets[i]}: slices of ${p.sliceSize}, peak activations ${peak(p.compiledPeakActivationBytes)} (eager ${peak(p.eagerPeakActivationBytes)})`);
}
const runs = spins.flatMap((spin) => variants.map((c, i) => ({ c, spin, name: `budget ${budgets[i]}${spins.length > 1 ? `, spin ${spin} us` : ''}` })));
const wall = runs.map(() => [] as number[]);
const cpu = runs.map(() => [] as number[]);
for (let r = -2; r < rounds; r++) {
  for (const [i, { c, spin }] of runs.entries()) {
    addon().warmSpin(spin);
    const [t0, u0] = [performance.now(), process.cpuUsage()];
    const y = c.run(x);
    await y.data();
    const u = process.cpuUsage(u0);
    if (r >= 0) {
      wall[i]!.push(performance.now() - t0);
      cpu[i]!.push((u.user + u.system) / 1000);
    }
    y.dispose();
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!.toFixed(1);
runs.forEach(({ name }, i) => console.log(`${name}: wall median ${median(wall[i]!)} ms (min ${Math.min(...wall[i]!).toFixed(1)}), cpu median ${median(cpu[i]!)} ms (min ${Math.min(...cpu[i]!).toFixed(1)})`));
variants.forEach((c) => c.dispose());
x.dispose();
m.dispose();
