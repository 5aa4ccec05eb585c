// The bench's training check (run.ts verify: verify.ts compareTraining against the cpu-js reference) of one model
// workload at several model seeds. The bench itself checks each model at one seed (modelWorkload's default 7;
// `--seed` there orders the runners): a deviation that passes the gate at that seed by luck shows here.
// Prints, per seed and runner, the loss deviation, the worst trainable tensor after step 1 (the gated weights: against
// the float64 flip oracle where a runner can compute it, torch; verify.ts FlipOracle) and, beside it, after step 1 and
// after the last step relative to that tensor's largest reference value (the gate before the flip oracle, and reported
// only), and the gate.
// Run (apps/bench): pnpm exec tsx --conditions=@stridenet/source scripts/train-check-seeds.ts [--model resnet20]
//   [--batch 32] [--seeds 7,1,2,3,4,5] [--runners native,native-avx2,torch] [--threads 1] [--compiled] [--steps 3] [--tolerance 1e-3]
// A runner that can repeat the check in float64 (torch) gets a second row, `<id> f64`: its float64 run of the same model
// code against the same cpu-js reference (the bench runs it only where float32 misses the gate, verify.ts gateTraining).
import { setBackend } from '@stridenet/core';
import { makeInputs } from '../src/data.js';
import { createStridenetRunner, ourRunner } from '../src/runners/stridenet.js';
import { createTorchRunner } from '../src/runners/torch.js';
import type { Runner } from '../src/runners/types.js';
import { FLIP_BAND, FLIP_GROUPS, TRAIN_CHECK_STEPS, compareTraining, type FlipOracle } from '../src/verify.js';
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
const flipper = runners.find((r) => r.trainFlips);
console.log(flipper ? `step 1 gated against ${flipper.info.id}'s float64 flips (band ${FLIP_BAND}, ${FLIP_GROUPS} groups)` : 'no runner computes float64 flips: step 1 gated against cpu-js');
console.log('seed  runner         loss      step 1 gated (worst tensor)           step 1 vs cpu-js (worst tensor)       last step (worst tensor)              gate');
for (const seed of seeds) {
  const eager = modelWorkload(model, 'train', batch, undefined, seed);
  const w = compiled ? compiledWorkload(eager) : eager;
  await setBackend((reference as unknown as { backend: Parameters<typeof setBackend>[0] }).backend);
  const inputs = await makeInputs(w);
  const ref = await reference.trainCheck!(w, inputs, steps);
  let oracle: FlipOracle | undefined;
  if (flipper) {
    const start: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(inputs.model!.weights)) if (t.trainable) start[name] = t.data;
    oracle = { start, flips: await flipper.trainFlips!(w, inputs, FLIP_BAND, FLIP_GROUPS) };
  }
  const cell = (d: { relative: number; worst: string }) => `${sci(d.relative)} (${d.worst})`.padEnd(38);
  for (const r of [reference, ...runners]) {
    for (const float64 of r.trainCheckFloat64 ? [false, true] : [false]) {
      // The reference's own row: its step-1 weights against the flip oracle (its loss and last step compare with themselves).
      const check = r === reference ? ref : await (float64 ? r.trainCheckFloat64!(w, inputs, steps) : r.trainCheck!(w, inputs, steps));
      const c = compareTraining(ref, check, oracle);
      const old = compareTraining(ref, check);
      const last = c.weightsAfterLast ?? c.weights;
      const id = `${r.info.id}${float64 ? ' f64' : ''}`;
      console.log(`${String(seed).padEnd(5)} ${id.padEnd(14)} ${sci(c.loss.relative).padEnd(9)} ${cell(c.weights)}${cell(old.weights)}${cell(last)}${c.relative <= tolerance ? 'pass' : 'FAIL'}`);
    }
  }
}
for (const r of [reference, ...runners]) await r.close();
