// The JavaScript floor of one inference pass, eager (model.forward) or compiled (compile(...).run), on a backend whose
// kernels do nothing: every kernel call returns a fresh placeholder handle at once, so the time per pass is core's
// work alone (op checks, plans, tensor bookkeeping, the fused schedule), with no kernel, queue or hand-off in it.
// Weights are zeros (compile folds them as usual). Median and min of 7 batches of passes, wall time on one thread.
// Run: pnpm exec tsx [--conditions @stridenet/source] bench/js-floor.ts [model] [batch] [infer|compiled] [passes]
// (with the condition: core from source, as tsx compiles it, closures named at run time; without: core's dist).
import { KERNEL_NAMES, Rng, SPEC_VERSION, compile, createModel, setBackend, tensor, type Backend } from '@stridenet/core';

const [model = 'resnet20', batchArg = '1', mode = 'infer', passesArg = '20000'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const batch = Number(batchArg);
interface Placeholder {
  readonly n: number;
}
const kernels: Record<string, () => Placeholder> = {};
for (const k of KERNEL_NAMES) kernels[k] = () => ({ n: 1 });
const nullBackend = {
  name: 'null',
  specVersion: SPEC_VERSION,
  kernels,
  upload: (v: Float32Array): Placeholder => ({ n: v.length }),
  read: async (h: Placeholder) => new Float32Array(h.n),
  readSync: (h: Placeholder) => new Float32Array(h.n),
  free: () => {},
  supports: () => true as const,
  memory: () => ({ bytes: 0, buffers: 0 }),
  info: () => ({ threads: 1, simd: false, device: 'none (kernels do nothing)' }),
  markConstant: () => {},
} as unknown as Backend;
await setBackend(nullBackend);
const inputShape = model === 'lenet5' ? [1, 28, 28] : model === 'resnet18' ? [3, 224, 224] : [3, 32, 32];
const m = createModel(model, { seed: 1, numClasses: model === 'resnet18' ? 1000 : 10, inputShape });
const shape = [batch, ...inputShape];
const x = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
const c = mode === 'compiled' ? await compile(m, { mode: 'inference', backend: nullBackend, log: () => {} }) : null;
const ctx = { training: false, rng: new Rng(0) };
const pass = () => (c ? c.run(x) : m.forward(x, ctx)).dispose();
for (let i = 0; i < 2000; i++) pass();
const perPass: number[] = [];
const n = Math.max(1, Math.round(Number(passesArg) / 7));
for (let r = 0; r < 7; r++) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) pass();
  perPass.push(((performance.now() - t0) * 1000) / n);
}
perPass.sort((a, b) => a - b);
console.log(`${model} b${batch} ${mode === 'compiled' ? 'compiled' : 'eager'}: JavaScript ${perPass[3]!.toFixed(2)} µs a pass (min ${perPass[0]!.toFixed(2)}), kernels doing nothing`);
