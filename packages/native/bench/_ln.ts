import { compile, createModel, setBackend, tensor } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { startNativeTrace, stopNativeTrace } from '../src/trace.js';
const model = process.env.M ?? 'lenet5';
const batch = Number(process.env.B ?? '2');
const size = Number(process.env.S ?? (model === 'lenet5' ? 28 : 32));
const be = await createNativeBackend({ threads: Number(process.env.T ?? '1'), isa: 'avx2' });
await setBackend(be);
const inputShape = [model === 'lenet5' ? 1 : 3, size, size];
const m = createModel(model, { seed: 1, numClasses: model === 'resnet18' ? 1000 : 10, inputShape });
const c = await compile(m, { mode: 'inference' });
const x = tensor(new Float32Array(batch * inputShape.reduce((a, d) => a * d)).map(() => Math.random()), [batch, ...inputShape]);
const pass = async () => { const y = c.run(x); await be.sync!(); y.dispose(); };
for (let i = 0; i < 200; i++) await pass();
const n = Number(process.env.N ?? '2000');
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await pass();
  console.log(`${model} b${batch}: ${((performance.now() - t0) * 1000 / n).toFixed(1)} us/pass`);
}
startNativeTrace();
const t0 = performance.now();
for (let i = 0; i < 500; i++) await pass();
const wall = (performance.now() - t0) * 1000 / 500;
const ev = stopNativeTrace();
const k = ev.filter((e) => e.kind === 'inline' || e.kind === 'job');
const calls = ev.filter((e) => e.kind === 'call');
const per = new Map<string, { t: number; n: number }>();
for (const e of k) { const p = per.get(e.kernel!) ?? { t: 0, n: 0 }; p.t += e.end - e.start; p.n++; per.set(e.kernel!, p); }
console.log(`traced wall ${wall.toFixed(1)} us/pass; kernels ${(k.reduce((s, e) => s + e.end - e.start, 0) / 500).toFixed(1)} us in ${(k.length / 500).toFixed(1)} kernels (${k.filter(e=>e.kind==='inline').length/500} inline); calls ${(calls.reduce((s, e) => s + e.end - e.start, 0) / 500).toFixed(1)} us`);
for (const [name, p] of [...per].sort((a, b) => b[1].t - a[1].t)) console.log(`  ${name.padEnd(28)} ${(p.t / 500).toFixed(1).padStart(7)} us  ${(p.n / 500).toFixed(1)}/pass`);
startNativeTrace();
for (let i = 0; i < 50; i++) await pass();
const ev2 = stopNativeTrace();
// print last pass's events
const lastCalls = ev2.filter(e => e.kind === 'call').slice(-7);
const t00 = lastCalls[0]!.start;
for (const e of ev2.filter(e => e.end >= t00 - 1)) console.log(e.kind.padEnd(6), String(e.thread).padStart(2), (e.kernel ?? '').padEnd(12), 'q', (e.queued - t00).toFixed(1), 's', (e.start - t00).toFixed(1), 'e', (e.end - t00).toFixed(1));
