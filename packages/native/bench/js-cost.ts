// What one compiled (or eager) inference run costs outside the pool, on the native backend: the synchronous
// time of run(x) / forward(x) (kernels queue and run on the pool meanwhile), the whole run to the output's
// read (percentiles), process CPU per run, minor page faults per run, and each thread's CPU time per run (the JavaScript thread and
// V8's helpers compete with the pool's threads at 2 threads on a 2-core machine).
// Run: pnpm exec tsx --conditions @stridenet/source bench/js-cost.ts [model] [batch] [--threads N] [--eager] [--reps 30]
import { Rng, compile, createModel, setBackend, tensor } from '@stridenet/core';
import { arg, backend, threadCpu } from './common.js';

const [model = 'resnet20', batchArg = '64'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const batch = Number(batchArg);
const reps = Number(arg('--reps', '30'));
const be = await backend();
await setBackend(be);
const options = model === 'resnet18' ? { numClasses: 1000, inputShape: [3, 224, 224] } : model === 'lenet5' ? {} : { inputShape: [3, 32, 32] };
const m = createModel(model, { seed: 1, ...options });
const x = tensor(new Rng(1).normal(batch * m.inputShape.reduce((a, b) => a * b, 1)), [batch, ...m.inputShape]);
const eager = process.argv.includes('--eager');
const c = eager ? undefined : await compile(m, { mode: 'inference' });
const issue: number[] = [];
const processCpu: number[] = [];
const faults: number[] = [];
const total: number[] = [];
let cpu0 = threadCpu();
for (let r = 0; r < reps + 3; r++) {
  if (r === 3) cpu0 = threadCpu();
  const f0 = process.resourceUsage().minorPageFault;
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  const y = c ? c.run(x) : m.forward(x, { training: false, rng: new Rng(0) });
  const t1 = performance.now();
  await y.data();
  const t2 = performance.now();
  const p1 = process.cpuUsage(p0);
  y.dispose();
  if (r >= 3) {
    issue.push(t1 - t0);
    processCpu.push((p1.user + p1.system) / 1e3);
    total.push(t2 - t0);
    faults.push(process.resourceUsage().minorPageFault - f0);
  }
}
const pct = (a: number[], q: number) => [...a].sort((p, q2) => p - q2)[Math.floor((a.length - 1) * q)]!.toFixed(3);
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!.toFixed(3);
console.log(`${model} b${batch} ${eager ? 'eager' : 'compiled'} ${be.threads}T: JS issue median ${med(issue)} ms (min ${Math.min(...issue).toFixed(2)}), run median ${med(total)} ms (min ${Math.min(...total).toFixed(2)})`);
console.log(`  process CPU per run median ${med(processCpu)} ms`);
console.log(`  run percentiles 10/25/50/75/90: ${[0.1, 0.25, 0.5, 0.75, 0.9].map((q) => pct(total, q)).join(' / ')} ms, minor page faults per run median ${med(faults)}`);
for (const [k, v] of threadCpu()) {
  const d = (v - (cpu0.get(k) ?? 0)) / reps;
  if (d > 0.05) console.log(`  thread ${k.padEnd(28)} ${d.toFixed(2)} ms CPU per run`);
}
c?.dispose();
x.dispose();
m.dispose();
