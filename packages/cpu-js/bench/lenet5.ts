/**
 * LeNet-5 training-step throughput on the cpu-js kernels alone (no core autograd), batch 64:
 * `npx tsx --conditions=@stridenet/source bench/lenet5.ts [batch] [steps]` from packages/cpu-js. Prints images/s (median of timed steps) and the
 * time per kernel, so regressions point at one kernel.
 *
 * Net: conv 6@5x5 pad 2 + relu -> maxpool 2 -> conv 16@5x5 + relu -> maxpool 2 -> dense 120 relu
 * -> dense 84 relu -> dense 10 -> softmax cross-entropy; SGD with momentum on every parameter.
 */
import { planBroadcast, planChannel, planConv2d, planMatMul, planPool2d, planRows, type KernelName } from '@stridenet/core';
import { kernels } from '../src/kernels/index.js';

const N = Number(process.argv[2] ?? 64);
const steps = Number(process.argv[3] ?? 20);
const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (Math.random() * 2 - 1) * scale);

const c1 = planConv2d([N, 1, 28, 28], [6, 1, 5, 5], { padding: 2 });
const p1 = planPool2d(c1.outShape, { window: 2 });
const c2 = planConv2d(p1.outShape, [16, 6, 5, 5]);
const p2 = planPool2d(c2.outShape, { window: 2 });
const f1 = planMatMul([N, 400], [400, 120]);
const f2 = planMatMul([N, 120], [120, 84]);
const f3 = planMatMul([N, 84], [84, 10]);
const rows = planRows('sce', [N, 10]);
// Backward products: dA = dC B^T, dB = A^T dC.
const f3dx = planMatMul([N, 10], [84, 10], false, true);
const f3dw = planMatMul([N, 84], [N, 10], true, false);
const f2dx = planMatMul([N, 84], [120, 84], false, true);
const f2dw = planMatMul([N, 120], [N, 84], true, false);
const f1dx = planMatMul([N, 120], [400, 120], false, true);
const f1dw = planMatMul([N, 400], [N, 120], true, false);
const colBias = (n: number) => planChannel('bias', [N, n], n);

const params = {
  w1: rand(150, 0.2), b1: new Float32Array(6),
  w2: rand(2400, 0.08), b2: new Float32Array(16),
  w3: rand(48000, 0.05), b3: new Float32Array(120),
  w4: rand(10080, 0.09), b4: new Float32Array(84),
  w5: rand(840, 0.1), b5: new Float32Array(10),
};
const velocity = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float32Array(v.length)])) as Record<keyof typeof params, Float32Array>;
const x = rand(N * 784, 1);
const labels = new Float32Array(N * 10);
for (let i = 0; i < N; i++) labels[i * 10 + (i % 10)] = 1;
const scale = planBroadcast('mul', [N], [1]);

const timeByKernel = new Map<KernelName, number>();
function k<R>(name: KernelName, run: () => R): R {
  const t0 = performance.now();
  const r = run();
  timeByKernel.set(name, (timeByKernel.get(name) ?? 0) + performance.now() - t0);
  return r;
}

function step(): void {
  const P = params;
  const a1 = k('Conv2D', () => kernels.Conv2D({ x, filter: P.w1, bias: P.b1 }, { plan: c1, activation: 'relu' }));
  const m1 = k('MaxPool2D', () => kernels.MaxPool2D({ x: a1 }, { plan: p1 }));
  const a2 = k('Conv2D', () => kernels.Conv2D({ x: m1, filter: P.w2, bias: P.b2 }, { plan: c2, activation: 'relu' }));
  const m2 = k('MaxPool2D', () => kernels.MaxPool2D({ x: a2 }, { plan: p2 }));
  const h1 = k('MatMul', () => kernels.MatMul({ a: m2, b: P.w3, bias: P.b3 }, { plan: f1, activation: 'relu' }));
  const h2 = k('MatMul', () => kernels.MatMul({ a: h1, b: P.w4, bias: P.b4 }, { plan: f2, activation: 'relu' }));
  const z = k('MatMul', () => kernels.MatMul({ a: h2, b: P.w5, bias: P.b5 }, { plan: f3, activation: 'linear' }));
  k('SoftmaxCrossEntropy', () => kernels.SoftmaxCrossEntropy({ logits: z, labels }, { plan: rows }));
  const dloss = k('Binary', () => kernels.Binary({ a: new Float32Array(N).fill(1), b: new Float32Array([1 / N]) }, { op: 'mul', plan: scale }));
  const dz = k('SoftmaxCrossEntropyGrad', () => kernels.SoftmaxCrossEntropyGrad({ dloss, logits: z, labels }, { plan: rows }));
  const grads: Partial<Record<keyof typeof params, Float32Array>> = {};
  grads.w5 = k('MatMul', () => kernels.MatMul({ a: h2, b: dz }, { plan: f3dw, activation: 'linear' }));
  grads.b5 = k('BiasAddGrad', () => kernels.BiasAddGrad({ dy: dz }, { plan: colBias(10) }));
  const dh2 = k('MatMul', () => kernels.MatMul({ a: dz, b: P.w5 }, { plan: f3dx, activation: 'linear' }));
  // The fused relu's gradient is taken from its output: y > 0 exactly where x > 0.
  const dh2r = k('UnaryGrad', () => kernels.UnaryGrad({ dy: dh2, x: h2, y: h2 }, { op: 'relu', alpha: 0, size: h2.length }));
  grads.w4 = k('MatMul', () => kernels.MatMul({ a: h1, b: dh2r }, { plan: f2dw, activation: 'linear' }));
  grads.b4 = k('BiasAddGrad', () => kernels.BiasAddGrad({ dy: dh2r }, { plan: colBias(84) }));
  const dh1 = k('MatMul', () => kernels.MatMul({ a: dh2r, b: P.w4 }, { plan: f2dx, activation: 'linear' }));
  const dh1r = k('UnaryGrad', () => kernels.UnaryGrad({ dy: dh1, x: h1, y: h1 }, { op: 'relu', alpha: 0, size: h1.length }));
  grads.w3 = k('MatMul', () => kernels.MatMul({ a: m2, b: dh1r }, { plan: f1dw, activation: 'linear' }));
  grads.b3 = k('BiasAddGrad', () => kernels.BiasAddGrad({ dy: dh1r }, { plan: colBias(120) }));
  const dm2 = k('MatMul', () => kernels.MatMul({ a: dh1r, b: P.w3 }, { plan: f1dx, activation: 'linear' }));
  const da2 = k('MaxPool2DGrad', () => kernels.MaxPool2DGrad({ dy: dm2, x: a2 }, { plan: p2 }));
  const da2r = k('UnaryGrad', () => kernels.UnaryGrad({ dy: da2, x: a2, y: a2 }, { op: 'relu', alpha: 0, size: a2.length }));
  grads.w2 = k('Conv2DBackpropFilter', () => kernels.Conv2DBackpropFilter({ x: m1, dy: da2r }, { plan: c2 }));
  grads.b2 = k('BiasAddGrad', () => kernels.BiasAddGrad({ dy: da2r }, { plan: planChannel('bias', c2.outShape, 16) }));
  const dm1 = k('Conv2DBackpropInput', () => kernels.Conv2DBackpropInput({ dy: da2r, filter: P.w2 }, { plan: c2 }));
  const da1 = k('MaxPool2DGrad', () => kernels.MaxPool2DGrad({ dy: dm1, x: a1 }, { plan: p1 }));
  const da1r = k('UnaryGrad', () => kernels.UnaryGrad({ dy: da1, x: a1, y: a1 }, { op: 'relu', alpha: 0, size: a1.length }));
  grads.w1 = k('Conv2DBackpropFilter', () => kernels.Conv2DBackpropFilter({ x, dy: da1r }, { plan: c1 }));
  grads.b1 = k('BiasAddGrad', () => kernels.BiasAddGrad({ dy: da1r }, { plan: planChannel('bias', c1.outShape, 6) }));
  for (const name of Object.keys(params) as (keyof typeof params)[]) {
    k('SgdUpdate', () =>
      kernels.SgdUpdate(
        { param: params[name], grad: grads[name]!, velocity: velocity[name] },
        { size: params[name].length, lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 },
      ),
    );
  }
}

for (let i = 0; i < 5; i++) step();
timeByKernel.clear();
const cpu0 = process.cpuUsage();
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
// CPU time approximates the wall time of an unshared core when other processes compete for the CPU.
console.log(
  `LeNet-5 train step, batch ${N}: median ${median.toFixed(1)} ms -> ${((N * 1000) / median).toFixed(0)} images/s; ` +
    `CPU time ${cpuMs.toFixed(1)} ms/step -> ${((N * 1000) / cpuMs).toFixed(0)} images/s`,
);
const total = [...timeByKernel.values()].reduce((a, b) => a + b, 0);
for (const [name, t] of [...timeByKernel.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${name.padEnd(24)} ${(t / steps).toFixed(2).padStart(7)} ms/step  ${((100 * t) / total).toFixed(1)}%`);
}
