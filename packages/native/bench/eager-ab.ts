// Eager (not compiled) model inference with and without core's inference fusion, interleaved in one process
// (report only). "plain" runs every layer on its own (ctx.fuse false); "fused" runs Conv2D + BatchNorm (+ Add)
// (+ ReLU) chains as one kernel (the default). Medians of wall and process CPU time per forward, and the
// largest logit difference between the two.
// Run: pnpm exec tsx --conditions @stridenet/source bench/eager-ab.ts [model] [batch] [--threads N] [--rounds R]
import { Rng, createModel, setBackend, tensor } from '@stridenet/core';
import { backend } from './common.js';

const [model = 'resnet20', batchArg = '64'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 8;
const batch = Number(batchArg);
const be = await backend();
await setBackend(be);
const inputShape = model === 'lenet5' ? [1, 28, 28] : model === 'resnet18' ? [3, 224, 224] : [3, 32, 32];
const m = createModel(model, { seed: 1, numClasses: model === 'resnet18' ? 1000 : 10, inputShape });
const x = tensor(new Float32Array(batch * inputShape.reduce((a, d) => a * d)).map(() => Math.random()), [batch, ...inputShape]);
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e3;
};
let first: Float32Array | undefined;
let maxDiff = 0;
const forward = async (plain: boolean): Promise<[number, number]> => {
  const t0 = performance.now();
  const c0 = cpu();
  const y = m.forward(x, { training: false, rng: new Rng(0), fuse: !plain });
  const d = await y.data();
  const r: [number, number] = [performance.now() - t0, cpu() - c0];
  y.dispose();
  if (!first) first = d;
  else for (let i = 0; i < d.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d[i]! - first[i]!));
  return r;
};
const times = { plain: [] as [number, number][], fused: [] as [number, number][] };
for (let r = 0; r < rounds + 2; r++) {
  const a = await forward(true);
  const b = await forward(false);
  if (r < 2) continue;
  times.plain.push(a);
  times.fused.push(b);
}
const median = (v: number[]) => v.sort((p, q) => p - q)[v.length >> 1]!;
console.log(`${model} b${batch}, isa ${be.isa}, ${be.threads} thread(s), ${rounds} rounds`);
for (const [k, v] of Object.entries(times)) console.log(`${k.padEnd(7)} wall ${median(v.map((t) => t[0])).toFixed(1)} ms, cpu ${median(v.map((t) => t[1])).toFixed(1)} ms`);
console.log(`largest logit difference ${maxDiff.toExponential(2)}`);
m.dispose();
be.dispose?.();
