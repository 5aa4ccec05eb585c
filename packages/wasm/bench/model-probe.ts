// Per-kernel time of one model's inference on the wasm backend (report only); lenet5 gets 1x28x28
// images, every other model 3x32x32.
// Run: npx tsx --conditions @stridenet/source bench/model-probe.ts [model] [batch] [threads] [iters]
import { Rng, createModel, setBackend, tensor } from '@stridenet/core';
import { createWasmBackend } from '../src/index.js';

const model = process.argv[2] ?? 'allCnnC';
const batch = Number(process.argv[3] ?? 64);
const threads = Number(process.argv[4] ?? 2);
const be = await createWasmBackend({ threads });
const times = new Map<string, { ms: number; calls: number }>();
const kernels = be.kernels as unknown as Record<string, (i: unknown, a: unknown) => unknown>;
const wrapped: Record<string, unknown> = {};
for (const [name, fn] of Object.entries(kernels)) {
  wrapped[name] = (i: unknown, a: { plan?: { outShape?: number[]; inShape?: number[]; filterShape?: number[]; strideHeight?: number } }) => {
    const s = performance.now();
    const r = fn(i, a);
    const key = `${name} ${JSON.stringify(a?.plan?.inShape ?? '')}${a?.plan?.filterShape ? ` f${JSON.stringify(a.plan.filterShape)} s${a.plan.strideHeight}` : ''}`;
    const e = times.get(key) ?? { ms: 0, calls: 0 };
    e.ms += performance.now() - s;
    e.calls++;
    times.set(key, e);
    return r;
  };
}
(be as { kernels: unknown }).kernels = wrapped;
await setBackend(be);
const m = createModel(model, { seed: 1, numClasses: 10, inputShape: model === 'lenet5' ? [1, 28, 28] : [3, 32, 32] });
const x = tensor(new Float32Array(batch * (model === 'lenet5' ? 784 : 3072)).map(() => Math.random()), model === 'lenet5' ? [batch, 1, 28, 28] : [batch, 3, 32, 32]);
const iters = Number(process.argv[5] ?? 3);
for (let i = 0; i < iters + 1; i++) {
  if (i === 1) times.clear();
  const t0 = performance.now();
  const y = m.forward(x, { training: false, rng: new Rng(0) });
  await y.data();
  y.dispose();
  console.log(`forward ${(performance.now() - t0).toFixed(0)} ms`);
}
let total = 0;
for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) {
  total += v.ms;
  console.log(`${(v.ms / iters).toFixed(1).padStart(8)} ms  ${k}`);
}
console.log(`${(total / iters).toFixed(1).padStart(8)} ms  total in kernels`);
be.dispose();
