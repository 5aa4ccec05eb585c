// Where kernels run (the backend's `dispatch` option), compared in one process (report only): a backend with
// dispatch 'queue' and one with 'caller', the same model on each, timed in alternating rounds of passes (issue,
// `await sync()`, dispose), so a slow phase of a shared host touches both. Prints min and median µs per pass
// over the rounds, each round's figure, and whether the two gave the same output bits. Run it pinned to one CPU
// (`taskset -c 0`) to see what `'auto'` picks there ('caller'), unpinned for the case it leaves queued.
// Run: pnpm exec tsx --conditions @stridenet/source bench/dispatch-modes.ts [model] [batch] [compiled|eager]
//      [--threads N] [--isa=avx512|avx2|neon|portable] [--size=S] [--rounds R] [--passes P]
import { Rng, compile, createModel, setBackend, tensor, type Model } from '@stridenet/core';
import { createNativeBackend, type NativeBackend } from '../src/index.js';
import { arg, isaArg, threadsArg } from './common.js';

const [model = 'lenet5', batchArg = '2', mode = 'compiled'] = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !['--threads', '--rounds', '--passes'].includes(all[i - 1]!));
if (mode !== 'compiled' && mode !== 'eager') throw new Error(`mode is '${mode}' but expected compiled or eager`);
const batch = Number(batchArg);
const threads = threadsArg() ?? 1;
const isa = isaArg() ?? 'auto';
const rounds = Number(arg('--rounds', '8'));
const passes = Number(arg('--passes', '500'));
const sizeArg = process.argv.find((a) => a.startsWith('--size='))?.slice(7);
const defaultShape = model === 'lenet5' ? [1, 28, 28] : model === 'resnet18' ? [3, 224, 224] : [3, 32, 32];
const inputShape = sizeArg === undefined ? defaultShape : [defaultShape[0]!, Number(sizeArg), Number(sizeArg)];
const input = new Float32Array(batch * inputShape.reduce((a, d) => a * d)).map((_, i) => ((i * 7919) % 1000) / 1000);

interface Subject {
  dispatch: 'queue' | 'caller';
  be: NativeBackend;
  pass: () => Promise<void>;
  output: () => Promise<Float32Array>;
  us: number[];
}

const subjects: Subject[] = [];
for (const dispatch of ['queue', 'caller'] as const) {
  const be = await createNativeBackend({ threads, isa, dispatch });
  await setBackend(be);
  const m: Model = createModel(model, { seed: 1, numClasses: model === 'resnet18' ? 1000 : 10, inputShape });
  const compiled = mode === 'compiled' ? await compile(m, { mode: 'inference' }) : undefined;
  const x = tensor(input, [batch, ...inputShape]);
  const run = () => (compiled ? compiled.run(x) : m.forward(x, { training: false, rng: new Rng(0) }));
  subjects.push({
    dispatch,
    be,
    pass: async () => {
      const y = run();
      await be.sync!();
      y.dispose();
    },
    output: async () => {
      const y = run();
      const out = (await y.data()) as Float32Array;
      y.dispose();
      return out;
    },
    us: [],
  });
}
console.log(`${model} b${batch} ${inputShape.join('x')} ${mode}, isa ${subjects[0]!.be.isa}, ${threads} thread(s), ${rounds} rounds of ${passes} passes`);
for (let r = 0; r < rounds; r++) {
  for (const s of subjects) {
    await setBackend(s.be);
    for (let i = 0; i < 20; i++) await s.pass();
    const t0 = performance.now();
    for (let i = 0; i < passes; i++) await s.pass();
    s.us.push(((performance.now() - t0) * 1000) / passes);
  }
}
const outputs: Float32Array[] = [];
for (const s of subjects) {
  await setBackend(s.be);
  outputs.push(await s.output());
  const sorted = [...s.us].sort((a, b) => a - b);
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  console.log(`  ${s.dispatch.padEnd(6)} min ${fmt(sorted[0]!)} median ${fmt(sorted[sorted.length >> 1]!)} us/pass | ${s.us.map(fmt).join(' ')}`);
}
const same = outputs[0]!.length === outputs[1]!.length && outputs[0]!.every((v, i) => Object.is(v, outputs[1]![i]));
console.log(`  outputs ${same ? 'bit-identical' : 'DIFFER'}`);
for (const s of subjects) s.be.dispose?.();
