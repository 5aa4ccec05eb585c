// Per-kernel time of one model's inference or training step on the native backend (report only).
// Each kernel call waits for its queued work, so the times add up (the real run overlaps JS and native work).
// --cpu-time times each call by the process's CPU time (all threads) instead of the wall clock: on a
// machine shared with other jobs, time spent waiting for a core then drops out.
// compiled: inference through core's compile(model, { mode: 'inference' }) (folded batch norm, fused epilogues);
// compiled-train: training steps through compile(model, { mode: 'training' }) (ReLUs and residual Adds fused).
// ResNet-18 runs at 224x224 with 1000 classes (the bench's shape), LeNet-5 at 28x28, the rest at 32x32; --size=S
// sets the input's height and width (ResNet-18 at 32x32, as the bench's smoke suite runs it: --size=32).
// Run: pnpm exec tsx --conditions @stridenet/source bench/model-profile.ts [model] [batch] [infer|compiled|train|compiled-train] [--threads N] [--isa=avx512|avx2|neon|portable] [--cpu-time] [--iters=N] [--size=S]
import { Rng, Sgd, compile, createModel, setBackend, tensor, trainStep } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { isaArg, threadsArg } from './common.js';

const [model = 'allCnnC', batchArg = '64', mode = 'infer'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--threads'));
const batch = Number(batchArg);
const threads = threadsArg();
const isa = isaArg() ?? 'auto';
const be = await createNativeBackend({ ...(threads ? { threads } : {}), isa });
const cpuTime = process.argv.includes('--cpu-time');
const now = cpuTime
  ? () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1e3;
    }
  : () => performance.now();
console.log(`isa ${be.isa}, ${be.threads} thread(s)${cpuTime ? ', per-kernel process CPU time' : ''}`);
const times = new Map<string, { ms: number; calls: number }>();
const kernels = be.kernels as unknown as Record<string, (i: unknown, a: unknown) => unknown>;
const wrapped: Record<string, unknown> = {};
type Attrs = { plan?: { inShape?: number[]; filterShape?: number[]; strideHeight?: number } };
for (const [name, fn] of Object.entries(kernels)) {
  wrapped[name] = (i: unknown, a: Attrs) => {
    const s = now();
    const r = fn(i, a);
    be.finish();
    const p = a?.plan;
    const key = `${name} ${JSON.stringify(p?.inShape ?? '')}${p?.filterShape ? ` f${JSON.stringify(p.filterShape)} s${p.strideHeight}` : ''}`;
    const e = times.get(key) ?? { ms: 0, calls: 0 };
    e.ms += now() - s;
    e.calls++;
    times.set(key, e);
    return r;
  };
}
(be as { kernels: unknown }).kernels = wrapped;
await setBackend(be);
if (!['infer', 'compiled', 'train', 'compiled-train'].includes(mode)) throw new Error(`mode is '${mode}' but expected infer, compiled, train or compiled-train`);
const sizeArg = process.argv.find((a) => a.startsWith('--size='))?.slice(7);
const defaultShape = model === 'lenet5' ? [1, 28, 28] : model === 'resnet18' ? [3, 224, 224] : [3, 32, 32];
const inputShape = sizeArg === undefined ? defaultShape : [defaultShape[0]!, Number(sizeArg), Number(sizeArg)];
const m = createModel(model, { seed: 1, numClasses: model === 'resnet18' ? 1000 : 10, inputShape });
const compiled = mode === 'compiled' ? await compile(m, { mode: 'inference' }) : undefined;
const trained = mode === 'compiled-train' ? await compile(m, { mode: 'training' }) : m;
const x = tensor(new Float32Array(batch * inputShape.reduce((a, d) => a * d)).map(() => Math.random()), [batch, ...inputShape]);
const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
const opt = new Sgd({ lr: 0.01, momentum: 0.9 });
const iters = Number(process.argv.find((a) => a.startsWith('--iters='))?.slice(8) ?? 3);
for (let i = 0; i < iters + 1; i++) {
  if (i === 1) times.clear();
  const t0 = performance.now();
  if (mode === 'train' || mode === 'compiled-train') {
    await trainStep(trained, opt, x, labels, { rng: new Rng(i) });
  } else {
    const y = compiled ? compiled.run(x) : m.forward(x, { training: false, rng: new Rng(0) });
    await y.data();
    y.dispose();
  }
  console.log(`${mode} ${(performance.now() - t0).toFixed(1)} ms`);
}
let total = 0;
for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) {
  total += v.ms;
  if (v.ms / iters >= 0.05 || process.argv.includes("--all")) console.log(`${(v.ms / iters).toFixed(3).padStart(9)} ms  ${String(v.calls / iters).padStart(3)}x ${k}`);
}
console.log(`${(total / iters).toFixed(1).padStart(9)} ms  total in kernels`);
opt.dispose();
compiled?.dispose();
m.dispose();
be.dispose?.();
