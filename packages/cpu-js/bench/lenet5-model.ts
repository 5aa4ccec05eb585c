/**
 * End-to-end LeNet-5 training throughput through core (model zoo, autograd, optimizer) on cpu-js:
 * `npx tsx --conditions=@stridenet/source bench/lenet5-model.ts [batch] [steps]` from packages/cpu-js.
 * Random images and labels: this measures speed, not learning.
 */
import { KERNEL_NAMES, lenet5, memory, Rng, setBackend, Sgd, tensor, trainStep, type Backend, type KernelName, type KernelTable } from '@stridenet/core';
import { createCpuBackend, kernels } from '../src/index.js';

/** The same kernels, each wrapped to add its wall time to `spent` (bench only). */
const spent = new Map<string, number>();
function timed<K extends KernelName>(name: K): KernelTable<Float32Array>[K] {
  const fn = kernels[name] as (i: unknown, a: unknown) => unknown;
  return ((inputs: unknown, attrs: unknown) => {
    const t0 = performance.now();
    const r = fn(inputs, attrs);
    const plan = (attrs as { plan?: { inShape?: readonly number[]; filterShape?: readonly number[] } }).plan;
    const key = plan?.filterShape ? `${name} [${plan.inShape!.join(',')}] * [${plan.filterShape.join(',')}]` : name;
    spent.set(key, (spent.get(key) ?? 0) + performance.now() - t0);
    return r;
  }) as unknown as KernelTable<Float32Array>[K];
}
const profiled = Object.fromEntries(KERNEL_NAMES.map((k) => [k, timed(k)])) as unknown as KernelTable<Float32Array>;

const batch = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 20);
const backend: Backend<Float32Array> = { ...(await createCpuBackend()), kernels: profiled };
await setBackend(backend as Backend);
const model = lenet5();
const optimizer = new Sgd({ lr: 0.01, momentum: 0.9 });
const rng = new Rng(1);
const images = Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i));
const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
const x = tensor(images, [batch, 1, 28, 28]);

for (let i = 0; i < 3; i++) await trainStep(model, optimizer, x, labels, { rng });
spent.clear();
const cpu0 = process.cpuUsage();
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  await trainStep(model, optimizer, x, labels, { rng });
  times.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(
  `LeNet-5 (core trainStep, SGD momentum) batch ${batch}: median ${median.toFixed(1)} ms/step -> ${((batch * 1000) / median).toFixed(0)} images/s ` +
    `(best ${((batch * 1000) / times[0]!).toFixed(0)}); CPU time ${cpuMs.toFixed(1)} ms/step -> ${((batch * 1000) / cpuMs).toFixed(0)} images/s ` +
    `on an unshared core; live tensors ${memory().tensors}`,
);
const kernelTotal = [...spent.values()].reduce((a, b) => a + b, 0);
console.log(`  kernels ${(kernelTotal / steps).toFixed(1)} ms/step; the rest (autograd, allocation, copies) ${(times.reduce((a, b) => a + b, 0) / steps - kernelTotal / steps).toFixed(1)} ms/step`);
for (const [name, t] of [...spent.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${name.padEnd(56)} ${(t / steps).toFixed(2).padStart(7)} ms/step`);
}
