// CPU time per thread of the process over N ResNet-20 b32 training steps (Linux /proc/self/task, 10 ms ticks), by
// thread id and name: the JavaScript thread, V8's helpers (GC), the queue thread and the pool's workers. At 1 thread
// the JavaScript and GC time runs on the other core; at 2 threads it competes with the pool.
// Run: pnpm exec tsx --conditions @stridenet/source bench/thread-cpu.ts [--threads N] [--steps 20] [--eager]
import { Rng, Sgd, compile, createModel, setBackend, tensor, trainStep } from '@stridenet/core';
import { backend, threadCpu } from './common.js';

const stepsAt = process.argv.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(process.argv[stepsAt + 1]) : 20;
const be = await backend();
await setBackend(be);
const m = createModel('resnet20', { seed: 1, inputShape: [3, 32, 32] });
const trained = process.argv.includes('--eager') ? m : await compile(m, { mode: 'training' });
const batch = 32;
const x = tensor(new Rng(1).normal(batch * 3 * 32 * 32), [batch, 3, 32, 32]);
const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
const opt = new Sgd({ lr: 0.01, momentum: 0.9 });
const read = threadCpu;
for (let i = 0; i < 3; i++) await trainStep(trained, opt, x, labels, { rng: new Rng(i) });
await be.sync!();
const a = read();
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainStep(trained, opt, x, labels, { rng: new Rng(i) });
await be.sync!();
const wall = (performance.now() - t0) / steps;
const cu = process.cpuUsage(c0);
const b = read();
console.log(`${be.threads}T wall ${wall.toFixed(1)} ms/step, process CPU ${((cu.user + cu.system) / 1e3 / steps).toFixed(1)} ms/step`);
for (const [k, v] of b) {
  const d = (v - (a.get(k) ?? 0)) / steps;
  if (d > 0.2) console.log(`  ${k.padEnd(30)} ${d.toFixed(1)} ms/step`);
}
opt.dispose();
x.dispose();
m.dispose();
be.dispose?.();
