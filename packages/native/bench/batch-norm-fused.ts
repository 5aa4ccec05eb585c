// CPU time per call of the batch-norm training kernels on one ResNet-20 layer shape, plain and fused
// (BatchNormGrad with the relu mask; BatchNormTrain with residual, relu and the running update), interleaved.
// Run: pnpm exec tsx --conditions @stridenet/source bench/batch-norm-fused.ts [--threads N]
import { planChannel } from '@stridenet/core';
import { createNativeBackend } from '../src/index.js';
import { threadsArg } from './common.js';

const be = await createNativeBackend({ threads: threadsArg() ?? 1 });
const shape = [32, 16, 32, 32];
const n = shape.reduce((a, b) => a * b);
const plan = planChannel('bench', shape, 16);
const random = (k: number, lo = -1) => be.upload(Float32Array.from({ length: k }, () => lo + Math.random() * (1 - lo)));
const [dy, x, y, residual] = [random(n), random(n), random(n), random(n)];
const [gamma, beta, mean, runningMean] = [random(16), random(16), random(16), random(16)];
const [variance, runningVar] = [random(16, 0.5), random(16, 0.5)];
const k = be.kernels;

/** Process CPU time per call (every pool thread counted), averaged over 20 calls; the table shows the median of 5 rounds. */
function cpuMs(run: () => unknown[]): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < 20; i++) {
    const outs = run();
    be.finish();
    for (const o of outs) be.free(o as never);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / 20;
}

const cases: Record<string, () => unknown[]> = {
  'BatchNormGrad linear': () => k.BatchNormGrad({ dy, x, gamma, mean, variance }, { plan, epsilon: 1e-5, activation: 'linear' }),
  'BatchNormGrad relu': () => k.BatchNormGrad({ dy, x, gamma, mean, variance, y }, { plan, epsilon: 1e-5, activation: 'relu' }),
  'BatchNormTrain plain': () => k.BatchNormTrain({ x, gamma, beta }, { plan, epsilon: 1e-5, activation: 'linear', momentum: 0 }),
  'BatchNormTrain residual + relu + running': () =>
    k.BatchNormTrain({ x, gamma, beta, residual, runningMean, runningVar }, { plan, epsilon: 1e-5, activation: 'relu', momentum: 0.1 }),
};
const times: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) for (const [name, run] of Object.entries(cases)) (times[name] ??= []).push(cpuMs(run));
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
console.log(`[${shape.join(',')}], ${be.threads} thread(s), ${be.isa}`);
for (const [name, a] of Object.entries(times)) console.log(`${median(a).toFixed(2).padStart(7)} ms CPU  ${name}  (rounds: ${a.map((t) => t.toFixed(2)).join(' ')})`);
be.dispose?.();
