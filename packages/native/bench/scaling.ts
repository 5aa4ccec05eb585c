// Compiled inference at 1 and 2 threads (or --threads 1,2,4) in one process, runs interleaved round by round,
// with the pools' warm spin as a second variable (--spins 0,200, microseconds; ThreadPool::setBusy in runtime.h).
// Reports median wall and process CPU time per run (all threads), voluntary context switches (sleeps) per run
// and the speed-up over the first thread count. --blocks on,off also interleaves the pools' task blocks
// (each thread its own block of a run's tasks, or one shared counter: ThreadPool in runtime.h).
// Run: pnpm exec tsx --conditions @stridenet/source bench/scaling.ts [model] [batch] [--threads 1,2] [--spins 200]
//      [--blocks on,off] [--budget auto|Infinity|bytes] [--rounds 21] [--train [--eager]]
// --train times one training step (trainStep, SGD with momentum) through compile(model, { mode: 'training' }),
// or through the model itself with --eager, instead of inference.
import { readFileSync, readdirSync } from 'node:fs';
import { Rng, Sgd, compile, createModel, setBackend, tensor, trainStep, type CompiledModel, type CompiledTrainingModel, type Model, type Tensor } from '@stridenet/core';
import { addon } from '../src/addon.js';
import { createNativeBackend, type NativeBackend } from '../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const [model = 'resnet20', batchArg = '64'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const batch = Number(batchArg);
const threads = arg('threads', '1,2').split(',').map(Number);
// A spin ending in 'n' (200n) does not yield the core between checks.
const spins = arg('spins', String(addon().warmSpin())).split(',');
const blocks = arg('blocks', addon().taskBlocks() ? 'on' : 'off').split(',');
const rounds = Number(arg('rounds', '21'));
const budget = arg('budget', 'auto');
const options = model === 'resnet18' ? { numClasses: 1000, inputShape: [3, 224, 224] } : model === 'lenet5' ? {} : { inputShape: [3, 32, 32] };
/** Voluntary context switches of every thread of this process (Linux; 0 elsewhere): sleeps and wakes. */
const switches = () => {
  try {
    return readdirSync('/proc/self/task').reduce((n, t) => n + Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${t}/status`, 'utf8'))?.[1] ?? 0), 0);
  } catch {
    return 0;
  }
};
const train = process.argv.includes('--train');
const eager = process.argv.includes('--eager');
const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
interface Setup {
  t: number;
  backend: NativeBackend;
  m: Model;
  x: Tensor;
  c?: CompiledModel;
  trained?: Model | CompiledTrainingModel;
  opt?: Sgd;
}
const setups: Setup[] = [];
for (const t of threads) {
  const backend = await createNativeBackend({ threads: t });
  await setBackend(backend);
  const m = createModel(model, { seed: 1, ...options });
  const x = tensor(new Rng(1).normal(batch * m.inputShape.reduce((a, b) => a * b, 1)), [batch, ...m.inputShape]);
  if (train) {
    setups.push({ t, backend, m, x, trained: eager ? m : await compile(m, { mode: 'training' }), opt: new Sgd({ lr: 0.01, momentum: 0.9 }) });
    continue;
  }
  const c = await compile(m, { mode: 'inference', maxActivationBytes: budget === 'auto' ? 'auto' : Number(budget) });
  setups.push({ t, backend, m, x, c });
}
const once = async (s: Setup) => {
  if (s.trained) {
    await setBackend(s.backend);
    await trainStep(s.trained, s.opt!, s.x, labels, { rng: new Rng(0) });
    await s.backend.sync!();
    return;
  }
  const y: Tensor = s.c!.run(s.x);
  await y.data();
  y.dispose();
};
const variants = blocks.flatMap((block) =>
  spins.flatMap((spin) => setups.map((s) => ({ ...s, spin, block, wall: [] as number[], cpu: [] as number[], sw: [] as number[] }))),
);
console.log(`${model} b${batch} ${train ? `${eager ? 'eager' : 'compiled'} training step` : `compiled (slices of ${setups[0]!.c!.sliceSize(batch)})`}, native ${setups[0]!.backend.isa}, ${rounds} rounds`);
for (let r = -3; r < rounds; r++) {
  for (const v of variants) {
    addon().warmSpin(Number.parseFloat(v.spin), !v.spin.endsWith('n'));
    addon().taskBlocks(v.block === 'on');
    const s0 = switches();
    const [t0, u0] = [performance.now(), process.cpuUsage()];
    await once(v);
    const u = process.cpuUsage(u0);
    const t1 = performance.now();
    const s1 = switches();
    if (r >= 0) {
      v.wall.push(t1 - t0);
      v.sw.push(s1 - s0);
      v.cpu.push((u.user + u.system) / 1000);
    }
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
for (const v of variants) {
  const base = variants.find((b) => b.spin === v.spin && b.block === v.block)!;
  console.log(
    `${v.t} thread(s), spin ${v.spin} us, blocks ${v.block}: wall median ${median(v.wall).toFixed(1)} ms (min ${Math.min(...v.wall).toFixed(1)}), cpu median ${median(v.cpu).toFixed(1)} ms, ${median(v.sw)} voluntary context switches, ${(median(base.wall) / median(v.wall)).toFixed(2)}x ${base.t} thread(s)`,
  );
}
for (const s of setups) {
  s.c?.dispose();
  s.opt?.dispose();
  s.x.dispose();
  s.m.dispose();
  s.backend.dispose!();
}
