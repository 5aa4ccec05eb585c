// The bench's training check (run.ts verify: verify.ts compareTraining against the cpu-js reference) of one model
// workload at several model seeds. The bench itself checks each model at one seed (modelWorkload's default 7;
// `--seed` there orders the runners): a deviation that passes the gate at that seed by luck shows here.
// Prints, per seed and runner, the loss deviation, the worst trainable tensor after step 1 (the gated weights) and
// after the last step (reported only), each relative to that tensor's largest reference value, and the gate.
// Run (apps/bench): pnpm exec tsx --conditions=@stridenet/source scripts/train-check-seeds.ts [--model resnet20]
//   [--batch 32] [--seeds 7,1,2,3,4,5] [--runners native,native-avx2,torch] [--threads 1] [--compiled] [--steps 3] [--tolerance 1e-3]
// A runner that can repeat the check in float64 (torch) gets a second row, `<id> f64`: its float64 run of the same model
// code against the same cpu-js reference (the bench runs it only where float32 misses the gate, verify.ts gateTraining).
import { setBackend } from '@stridenet/core';
import { makeInputs } from '../src/data.js';
import { createStridenetRunner, ourRunner } from '../src/runners/stridenet.js';
import { createTorchRunner } from '../src/runners/torch.js';
import type { Runner } from '../src/runners/types.js';
import { TRAIN_CHECK_STEPS, compareTraining } from '../src/verify.js';
import { compiledWorkload, modelWorkload } from '../src/workloads.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const model = option('model', 'resnet20');
const batch = Number(option('batch', '32'));
const seeds = option('seeds', '7,1,2,3,4,5').split(',').map(Number);
const runnerIds = option('runners', 'native,native-avx2').split(',');
const threads = Number(option('threads', '1'));
const steps = Number(option('steps', String(TRAIN_CHECK_STEPS)));
const tolerance = Number(option('tolerance', '1e-3'));
const compiled = process.argv.includes('--compiled');
if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch is '${option('batch', '')}' but expected a positive integer`);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds is '${option('seeds', '')}' but expected integers, comma-separated`);

async function start(id: string): Promise<Runner> {
  const ours = ourRunner(id);
  if (!ours && id !== 'torch') throw new Error(`runner '${id}' is neither torch nor one of ours (cpu-js, wasm, native, native-<isa>)`);
  const r = ours ? await createStridenetRunner(ours.name, id === 'cpu-js' ? 1 : threads, ours.isa) : await createTorchRunner(threads, { probeSeconds: 0, activeCooldown: 0 });
  if (typeof r === 'string') throw new Error(r);
  return r;
}

const reference = await start('cpu-js');
const runners: Runner[] = [];
for (const id of runnerIds) runners.push(await start(id));
const sci = (v: number) => v.toExponential(1);
console.log(`${model} training check, batch ${batch}${compiled ? ', compiled' : ''}, ${steps} steps, ${threads} thread(s), gate ${sci(tolerance)} (loss and weights after step 1)`);
console.log('seed  runner         loss      step 1 (worst tensor)                 last step (worst tensor)              gate');
for (const seed of seeds) {
  const eager = modelWorkload(model, 'train', batch, undefined, seed);
  const w = compiled ? compiledWorkload(eager) : eager;
  await setBackend((reference as unknown as { backend: Parameters<typeof setBackend>[0] }).backend);
  const inputs = await makeInputs(w);
  const ref = await reference.trainCheck!(w, inputs, steps);
  const cell = (d: { relative: number; worst: string }) => `${sci(d.relative)} (${d.worst})`.padEnd(38);
  for (const r of runners) {
    for (const float64 of r.trainCheckFloat64 ? [false, true] : [false]) {
      const c = compareTraining(ref, await (float64 ? r.trainCheckFloat64!(w, inputs, steps) : r.trainCheck!(w, inputs, steps)));
      const last = c.weightsAfterLast ?? c.weights;
      const id = `${r.info.id}${float64 ? ' f64' : ''}`;
      console.log(`${String(seed).padEnd(5)} ${id.padEnd(14)} ${sci(c.loss.relative).padEnd(9)} ${cell(c.weights)}${cell(last)}${c.relative <= tolerance ? 'pass' : 'FAIL'}`);
    }
  }
}
for (const r of [reference, ...runners]) await r.close();
