// Eager against compiled inference of one model on the wasm backend, interleaved run by run in one
// process: wall and process CPU time (min and median over the rounds; on a shared machine CPU time is
// the steadier figure), the largest relative difference of the outputs, and with --profile the time of
// each kernel call (by kernel and shape) in both modes.
// Run: pnpm exec tsx --conditions @stridenet/source bench/compiled-vs-eager.ts [model] [batch]
//      [--threads 1] [--rounds 15] [--profile] [--max-activation-bytes auto|N]   (model: resnet20 | allCnnC | lenet5 ...)
import { Rng, compile, createModel, setBackend, tensor, type Tensor } from '@stridenet/core';
import { createWasmBackend } from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1]?.startsWith('--') && all[i - 1] !== '--profile'));
const [model = 'resnet20', batchArg = '64'] = positional;
const batch = Number(batchArg);
const threads = Number(arg('threads', '1'));
const rounds = Number(arg('rounds', '15'));
const profile = process.argv.includes('--profile');
const budget = arg('max-activation-bytes', 'auto');

const be = await createWasmBackend({ threads });
type Stat = { ms: number; calls: number };
const times = { eager: new Map<string, Stat>(), compiled: new Map<string, Stat>() };
let mode: keyof typeof times = 'eager';
if (profile) {
  const kernels = be.kernels as unknown as Record<string, (i: unknown, a: unknown) => unknown>;
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(kernels)) {
    wrapped[name] = (i: unknown, a: { plan?: { inShape?: number[]; filterShape?: number[]; strideHeight?: number } }) => {
      const s = performance.now();
      const r = fn(i, a);
      const p = a?.plan;
      const key = `${name} ${JSON.stringify(p?.inShape ?? '')}${p?.filterShape ? ` f${JSON.stringify(p.filterShape)} s${p.strideHeight}` : ''}`;
      const e = times[mode].get(key) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - s;
      e.calls++;
      times[mode].set(key, e);
      return r;
    };
  }
  (be as { kernels: unknown }).kernels = wrapped;
}
await setBackend(be);
const inputShape = model === 'lenet5' ? [1, 28, 28] : [3, 32, 32];
const m = createModel(model, { seed: 1, numClasses: 10, inputShape });
const x = tensor(new Rng(1).normal(batch * inputShape.reduce((a, b) => a * b, 1)), [batch, ...inputShape]);
const c = await compile(m, { mode: 'inference', backend: be, maxActivationBytes: budget === 'auto' ? 'auto' : Number(budget) });
const runs: Record<keyof typeof times, () => Tensor> = {
  eager: () => m.forward(x, { training: false, rng: new Rng(0) }),
  compiled: () => c.run(x),
};

const [ye, yc] = [await runs.eager().data(), await runs.compiled().data()];
let scale = 0;
let diff = 0;
for (let i = 0; i < ye.length; i++) {
  scale = Math.max(scale, Math.abs(ye[i]!));
  diff = Math.max(diff, Math.abs(ye[i]! - yc[i]!));
}
console.log(`${model} b${batch}, wasm ${threads} thread(s), compiled in slices of ${c.sliceSize(batch)}; compiled vs eager max |diff| ${diff.toExponential(2)} (${(diff / scale).toExponential(2)} of max |y|)`);

const wall = { eager: [] as number[], compiled: [] as number[] };
const cpu = { eager: [] as number[], compiled: [] as number[] };
for (let r = -1; r < rounds; r++) {
  if (r === 0) for (const t of Object.values(times)) t.clear();
  for (const k of ['eager', 'compiled'] as const) {
    mode = k;
    const [t0, u0] = [performance.now(), process.cpuUsage()];
    const y = runs[k]();
    await y.data();
    const u = process.cpuUsage(u0);
    if (r >= 0) {
      wall[k].push(performance.now() - t0);
      cpu[k].push((u.user + u.system) / 1000);
    }
    y.dispose();
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const line = (a: number[]) => `median ${median(a).toFixed(1)} min ${Math.min(...a).toFixed(1)}`;
for (const k of ['eager', 'compiled'] as const) console.log(`${k.padEnd(8)} wall ${line(wall[k])} ms, cpu ${line(cpu[k])} ms`);
console.log(`ratio eager / compiled: wall median ${(median(wall.eager) / median(wall.compiled)).toFixed(2)}x, cpu median ${(median(cpu.eager) / median(cpu.compiled)).toFixed(2)}x`);
if (profile) {
  for (const k of ['eager', 'compiled'] as const) {
    console.log(`\n${k}: ms per run by kernel call`);
    let total = 0;
    for (const [key, v] of [...times[k]].sort((a, b) => b[1].ms - a[1].ms)) {
      total += v.ms;
      console.log(`${(v.ms / rounds).toFixed(2).padStart(8)} ms ${String(v.calls / rounds).padStart(3)}x  ${key}`);
    }
    console.log(`${(total / rounds).toFixed(1).padStart(8)} ms  in kernels`);
  }
}
c.dispose();
x.dispose();
m.dispose();
be.dispose();
