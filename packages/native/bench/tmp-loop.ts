import { Rng, createModel, setBackend, tensor } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
const model = process.argv[2] ?? 'lenet5';
const batch = Number(process.argv[3] ?? 256);
const be = await createNativeBackend({ threads: Number(process.env.THREADS ?? 2) });
await setBackend(be);
const inputShape = model === 'lenet5' ? [1, 28, 28] : [3, 32, 32];
const m = createModel(model, { seed: 1, numClasses: 10, inputShape });
const x = tensor(new Float32Array(batch * inputShape.reduce((a, d) => a * d)).map(() => Math.random()), [batch, ...inputShape]);
const iters = Number(process.argv[4] ?? 200);
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < iters; i++) {
  const y = m.forward(x, { training: false, rng: new Rng(0) });
  await y.data();
  y.dispose();
}
const c = process.cpuUsage(c0);
console.log(`${model} b${batch}: ${((performance.now() - t0) / iters).toFixed(2)} ms per forward, ${((c.user + c.system) / 1000 / iters).toFixed(2)} ms CPU`);
be.dispose?.();
