// CPU time per call of BatchNormTrain (residual + relu + running update) and BatchNormGrad (relu mask) on
// ResNet-20's three batch-32 layer shapes, and their sum over the step's 7 layers a shape (21 calls of each).
// --cold writes 48 MiB of JavaScript memory before each timed call (untimed), so the call reads its tensors from
// memory as in a training step (where the model's other layers ran in between) rather than from L2/L3.
// NATIVE_SRC=/other/checkout/packages/native/src/index.ts times that checkout's built addon instead (A/B runs).
// Run: pnpm exec tsx --conditions @stridenet/source bench/batch-norm-shapes.ts [--threads N] [--isa=avx2|...] [--cold] [--reps N]
import { planChannel } from '@stridenet/core';
import type { NativeBackend } from '../src/index.js';
import { arg, isaArg, threadsArg } from './common.js';

const native = (await import(process.env.NATIVE_SRC ?? '../src/index.js')) as typeof import('../src/index.js');
const isa = isaArg();
const be: NativeBackend = await native.createNativeBackend({ threads: threadsArg() ?? 1, ...(isa === undefined ? {} : { isa }) });
const cold = process.argv.includes('--cold');
const reps = Number(arg('--reps', '40'));
const junk = cold ? new Float32Array(12 << 20) : undefined;
let sink = 0;
const evict = (i: number) => {
  if (!junk) return;
  junk.fill(i);
  sink += junk[i % junk.length]!;
};
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e3;
};
const random = (k: number) => Float32Array.from({ length: k }, () => Math.random() * 2 - 1);
const cells: string[] = [];
let stepTrain = 0;
let stepGrad = 0;
for (const shape of [
  [32, 16, 32, 32],
  [32, 32, 16, 16],
  [32, 64, 8, 8],
]) {
  const plan = planChannel('bench', shape, shape[1]!);
  const n = shape.reduce((p, d) => p * d, 1);
  const C = shape[1]!;
  const [x, residual, dy, gamma, beta] = [random(n), random(n), random(n), random(C), random(C)].map((a) => be.upload(a));
  const [runningMean, runningVar] = [new Float32Array(C), new Float32Array(C).fill(1)].map((a) => be.upload(a));
  let train = 0;
  let grad = 0;
  for (let i = 0; i < reps + 3; i++) {
    evict(i);
    const c0 = cpuMs();
    const [y, mean, variance] = be.kernels.BatchNormTrain(
      { x: x!, gamma: gamma!, beta: beta!, residual: residual!, runningMean: runningMean!, runningVar: runningVar! },
      { plan, epsilon: 1e-5, activation: 'relu', momentum: 0.1 },
    );
    be.finish();
    const c1 = cpuMs();
    evict(i + 1);
    const c2 = cpuMs();
    const outs = be.kernels.BatchNormGrad({ dy: dy!, x: x!, gamma: gamma!, mean: mean!, variance: variance!, y: y! }, { plan, epsilon: 1e-5, activation: 'relu' });
    be.finish();
    const c3 = cpuMs();
    if (i >= 3) {
      train += c1 - c0;
      grad += c3 - c2;
    }
    for (const h of [y, mean, variance, ...outs]) be.free(h!);
  }
  stepTrain += (7 * train) / reps;
  stepGrad += (7 * grad) / reps;
  cells.push(`${shape.join('x')} train ${((train / reps) * 1e3).toFixed(0)} us, grad ${((grad / reps) * 1e3).toFixed(0)} us`);
}
console.log(`${be.isa}${cold ? ' cold' : ''}: ${cells.join(' | ')} | x7: train ${stepTrain.toFixed(2)} ms, grad ${stepGrad.toFixed(2)} ms${sink < 0 ? '' : ''}`);
be.dispose?.();
