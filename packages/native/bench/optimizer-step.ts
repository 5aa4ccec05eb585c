// The optimizer step and gradient check of one training step, per tensor (one SgdUpdate per
// parameter; one Reduce per gradient, a concat and a sum) against multi-tensor (one SgdUpdateMany;
// one AllFinite), on a zoo model's parameter shapes. A and B alternate round by round in one process,
// so load on a shared machine hits both alike; medians per round (wall ms, each waits for its work).
// Run: pnpm exec tsx --conditions @stridenet/source bench/optimizer-step.ts [model] [rounds] [--threads N]
import { concat, createModel, keep, reshape, setBackend, sgdUpdate, sgdUpdateMany, sum, tensor, tidy, zeros, allFiniteFlag, type Tensor } from '@stridenet/core';
import { backend, fill } from './common.js';

const [model = 'resnet20', roundsArg = '41'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--threads'));
const be = await backend();
await setBackend(be);
const m = createModel(model, { seed: 1, numClasses: 10, inputShape: [3, 32, 32] });
const params = m.parameters().filter((p) => p.trainable !== false).map((p) => p.value);
const grads = params.map((p) => keep(tensor(fill(p.size).map((v) => v * 1e-3), p.shape)));
const velocities = params.map((p) => keep(zeros(p.shape)));
const attrs = { lr: 1e-3, momentum: 0.9, nesterov: false, weightDecay: 5e-4 };
const total = params.reduce((n, p) => n + p.size, 0);
console.log(`${model}: ${params.length} parameters, ${total} values; ${be.threads} thread(s), isa ${be.isa}`);

async function perTensor(): Promise<boolean> {
  const probe = tidy(() => sum(concat(grads.map((g) => reshape(sum(g), [1])), 0)));
  params.forEach((p, i) => sgdUpdate(p, grads[i]!, velocities[i]!, attrs));
  const ok = Number.isFinite((await probe.data())[0]);
  probe.dispose();
  return ok;
}

async function multiTensor(): Promise<boolean> {
  const flag = allFiniteFlag(grads);
  sgdUpdateMany(params, grads, velocities, attrs);
  const ok = (await flag.data())[0] === 1;
  flag.dispose();
  return ok;
}

const runs: Record<string, () => Promise<boolean>> = { 'per tensor': perTensor, 'multi-tensor': multiTensor };
const ms: Record<string, number[]> = { 'per tensor': [], 'multi-tensor': [] };
const rounds = Number(roundsArg);
for (let r = 0; r < rounds + 2; r++) {
  for (const [name, run] of Object.entries(runs)) {
    const t0 = performance.now();
    if (!(await run())) throw new Error(`${name}: gradients reported non-finite`);
    await be.sync?.();
    if (r >= 2) ms[name]!.push(performance.now() - t0);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const [name, a] of Object.entries(ms)) console.log(`${name.padEnd(13)} median ${median(a).toFixed(3)} ms over ${a.length} rounds (min ${Math.min(...a).toFixed(3)})`);
console.log(`ratio per tensor / multi-tensor: ${(median(ms['per tensor']!) / median(ms['multi-tensor']!)).toFixed(2)}x`);
for (const t of [...grads, ...velocities]) t.dispose();
m.dispose();
be.dispose?.();
