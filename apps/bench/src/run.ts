import { Rng, setBackend } from '@stridenet/core';
import { allowedCpus, cpusForThreads, formatCpuList, pinProcess } from './affinity.js';
import { deviation, makeInputs, type WorkloadInputs } from './data.js';
import { fingerprint } from './env.js';
import { CellTimer } from './measure.js';
import { mergeReports } from './merge.js';
import { createOnnxRunner } from './runners/onnx.js';
import { NATIVE_ISA_RUNNERS, OUR_BACKENDS, createStridenetRunner, firstLine, ourRunner } from './runners/stridenet.js';
import { createTfjsRunner } from './runners/tfjs.js';
import { createTorchRunner } from './runners/torch.js';
import type { PeerIsa } from './peer-isa.js';
import type { Prepared, Runner, RunnerInfo, TrainCheck } from './runners/types.js';
import { SCHEMA_ID, SCHEMA_VERSION, type BenchReport, type ResultRecord } from './schema.js';
import { shuffled } from './stats.js';
import { FLIP_BAND, FLIP_GROUPS, TRAIN_CHECK_STEPS, gateTraining, matmulSpotCheck, type FlipOracle, type TrainingVerdict } from './verify.js';
import { suiteWorkloads, type Workload } from './workloads.js';

export const PEER_RUNNERS = ['tfjs-cpu', 'tfjs-wasm', 'onnxruntime', 'torch'] as const;
/** What a run without --runners times: our backends (native on its 'auto' path) and the peers. */
export const DEFAULT_RUNNERS = [...OUR_BACKENDS, ...PEER_RUNNERS] as const;
/** Every runner id: also `native-<isa>`, the native backend with one ISA path forced. */
export const ALL_RUNNERS = [...OUR_BACKENDS, ...NATIVE_ISA_RUNNERS, ...PEER_RUNNERS] as const;
/** Scalar backends on which GEMM 4096^3 takes minutes: skipped unless asked for. */
const SLOW_FOR_HEAVY = new Set(['cpu-js', 'tfjs-cpu', 'webgpu']);

export interface RunOptions {
  suite: 'ops' | 'models' | 'all';
  smoke: boolean;
  /** Runner ids to run (default: all that are available). */
  runners?: readonly string[];
  /** Thread settings; each runs the whole suite, and the tables put them side by side. */
  threads: number | readonly number[];
  minTime: number;
  reps: number;
  /** Runs of the whole suite; each cell reports its best run and the spread over runs. */
  repeat?: number;
  maxCellSeconds?: number;
  /** Relative deviation from the reference accepted as correct. */
  tolerance: number;
  baseline: string;
  /** Square GEMM size; 0 skips it. */
  gemmSize: number;
  /** Run heavy workloads on slow runners too. */
  heavyEverywhere?: boolean;
  /** Only workloads whose id contains one of these. */
  filter?: readonly string[];
  /** 'runner:substring' pairs: that runner skips workloads whose id contains the substring. */
  exclude?: readonly string[];
  /** Seed of the runner order per repetition. */
  seed?: number;
  /** 'avx2' holds the peers to AVX2 where they have a switch (peer-isa.ts); default 'auto'. */
  peerIsa?: PeerIsa;
  /** Training steps of the training check (default 3). */
  trainCheckSteps?: number;
  /**
   * Pin the bench process (every thread, and the child processes it starts) to the first T allowed CPUs
   * while a thread setting T below the CPU count runs (affinity.ts); default true. Linux only.
   */
  pin?: boolean;
  command?: string;
  /** Called with the results so far after every workload (a crash of a backend then loses little). */
  onPartial?: (results: readonly ResultRecord[]) => void;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'start'; total: number }
  | { type: 'cell'; workload: string; runner: string; done: number; total: number; phase: string }
  | { type: 'result'; record: ResultRecord; done: number; total: number };

async function createRunner(id: string, threads: number, smoke: boolean, peerIsa: PeerIsa = 'auto'): Promise<Runner | string> {
  try {
    const ours = ourRunner(id);
    if (ours) return await createStridenetRunner(ours.name, threads, ours.isa);
    if (id === 'tfjs-cpu' || id === 'tfjs-wasm') return await createTfjsRunner(id, threads);
    if (id === 'onnxruntime') return await createOnnxRunner(threads, peerIsa);
    if (id === 'torch') return await createTorchRunner(threads, { ...(smoke ? { probeSeconds: 0, activeCooldown: 0 } : { probeSeconds: 0.25 }), peerIsa });
    return `unknown runner '${id}' (expected one of ${ALL_RUNNERS.join(', ')})`;
  } catch (e) {
    return firstLine(e);
  }
}

function throughput(w: Workload, medianMs: number): ResultRecord['throughput'] {
  const s = medianMs / 1000;
  if (w.images) return { value: w.images / s, unit: 'images/s' };
  if (w.flops) return { value: w.flops / s / 1e9, unit: 'GFLOP/s' };
  if (w.bytes) return { value: w.bytes / s / 1e9, unit: 'GB/s' };
  return undefined;
}

/** References computed once per workload and shared by every thread setting and repeat. */
interface ReferenceCache {
  runner: Runner;
  outputs: Map<string, Float32Array | string>;
  training: Map<string, TrainCheck | string>;
  /** The float64 flip oracle of each training workload (verify.ts FlipOracle), or why there is none. */
  flips: Map<string, FlipOracle | string>;
  bytes: number;
}

/**
 * The float64 flip oracle of a training workload, from the first runner of this run that can compute it (PyTorch);
 * without one the step-1 weights are checked against the reference as before (verify.ts compareTraining).
 */
async function flipOracle(cache: ReferenceCache, w: Workload, inputs: WorkloadInputs, runners: readonly Runner[]): Promise<FlipOracle | undefined> {
  const hit = cache.flips.get(w.id);
  if (hit !== undefined) return typeof hit === 'string' ? undefined : hit;
  const r = runners.find((x) => x.trainFlips);
  if (!r || !inputs.model) return undefined;
  let out: FlipOracle | string;
  try {
    const start: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(inputs.model.weights)) if (t.trainable) start[name] = t.data;
    out = { start, flips: await r.trainFlips!(w, inputs, FLIP_BAND, FLIP_GROUPS) };
  } catch (e) {
    out = `the float64 flip runs failed on ${r.info.id}: ${firstLine(e)}`;
  }
  cache.flips.set(w.id, out);
  return typeof out === 'string' ? undefined : out;
}

/** Keep references up to this many bytes across runs; larger ones are computed again. */
const REFERENCE_CACHE_BYTES = 256 << 20;

const isTraining = (w: Workload) => w.spec.kind === 'model' && w.spec.mode === 'train';

async function referenceOutput(cache: ReferenceCache, w: Workload, inputs: WorkloadInputs, heavySkip: boolean): Promise<Float32Array | string> {
  const hit = cache.outputs.get(w.id);
  if (hit !== undefined) return hit;
  let out: Float32Array | string;
  if (heavySkip) {
    out = 'spot-check';
  } else {
    try {
      await setBackend((cache.runner as unknown as { backend: Parameters<typeof setBackend>[0] }).backend);
      const p = await cache.runner.prepare(w, inputs);
      try {
        await p.runIterations(1);
        out = await p.output();
      } finally {
        await p.dispose();
      }
    } catch (e) {
      out = `the cpu-js reference failed: ${firstLine(e)}`;
    }
  }
  const size = typeof out === 'string' ? 0 : out.byteLength;
  if (cache.bytes + size <= REFERENCE_CACHE_BYTES) {
    cache.outputs.set(w.id, out);
    cache.bytes += size;
  }
  return out;
}

async function referenceTraining(cache: ReferenceCache, w: Workload, inputs: WorkloadInputs, steps: number): Promise<TrainCheck | string> {
  const hit = cache.training.get(w.id);
  if (hit !== undefined) return hit;
  let out: TrainCheck | string;
  try {
    out = await cache.runner.trainCheck!(w, inputs, steps);
  } catch (e) {
    out = `the cpu-js training reference failed: ${firstLine(e)}`;
  }
  cache.training.set(w.id, out);
  return out;
}

/** Checks one finished cell against the reference; sets deviation / correct / check / note. */
async function verify(rec: ResultRecord, w: Workload, r: Runner, p: Prepared, inputs: WorkloadInputs, cache: ReferenceCache, o: RunOptions, heavySkip: boolean, runners: readonly Runner[]): Promise<void> {
  const steps = o.trainCheckSteps ?? TRAIN_CHECK_STEPS;
  if (isTraining(w)) {
    if (!r.trainCheck) {
      rec.note = `unchecked: ${r.info.id} has no training check`;
      return;
    }
    // A runner whose single step already spent the cell's budget (TF.js cpu: minutes per All-CNN-C step)
    // is not made to train `steps` more: the cell says unchecked instead of stalling the run.
    const stepMs = rec.timing?.firstRunMs ?? 0;
    if (o.maxCellSeconds !== undefined && r !== cache.runner && (steps * stepMs) / 1000 > 3 * o.maxCellSeconds) {
      rec.note = `unchecked: ${steps} training steps at ${(stepMs / 1000).toFixed(1)} s each exceed 3x --max-cell-seconds`;
      return;
    }
    const ref = await referenceTraining(cache, w, inputs, steps);
    if (typeof ref === 'string') {
      rec.note = `unchecked: ${ref}`;
      return;
    }
    const oracle = await flipOracle(cache, w, inputs, runners);
    let v: TrainingVerdict;
    try {
      // The reference runner checking itself would repeat the same computation.
      const check = (float64: boolean) => (r === cache.runner ? Promise.resolve(ref) : float64 ? r.trainCheckFloat64!(w, inputs, steps) : r.trainCheck!(w, inputs, steps));
      v = await gateTraining(ref, check, r !== cache.runner && r.trainCheckFloat64 !== undefined, o.tolerance, oracle);
    } catch (e) {
      rec.note = `unchecked: the training check failed on ${r.info.id}: ${firstLine(e)}`;
      return;
    }
    const c = v.float32;
    const d = v.float64;
    rec.check = {
      kind: 'train',
      steps,
      dropout: 'off',
      loss: c.loss,
      weights: c.weights,
      weightsStep: c.weightsStep,
      ...(c.weightsMeasure ? { weightsMeasure: c.weightsMeasure, flips: { band: FLIP_BAND, groups: FLIP_GROUPS } } : {}),
      ...(c.weightsAfterLast ? { weightsAfterLast: c.weightsAfterLast } : {}),
      ...(d ? { float64: { loss: d.loss, weights: d.weights, ...(d.weightsAfterLast ? { weightsAfterLast: d.weightsAfterLast } : {}) } } : {}),
    };
    rec.deviation = { maxAbs: Math.max(c.loss.maxAbs, c.weights.maxAbs), relative: c.relative };
    rec.correct = v.correct;
    return;
  }
  const out = await p.output();
  if (r === cache.runner && !cache.outputs.has(w.id)) cache.outputs.set(w.id, out);
  const ref = await referenceOutput(cache, w, inputs, heavySkip);
  if (ref === 'spot-check' && w.spec.kind === 'matmul') {
    const s = w.spec;
    rec.deviation = matmulSpotCheck(inputs.tensors.a!.data, inputs.tensors.b!.data, out, s.m, s.k, s.n);
    rec.check = { kind: 'spot-check', samples: 256 };
  } else if (typeof ref === 'string') {
    rec.note = `unchecked: ${ref === 'spot-check' ? 'no reference for this workload' : ref}`;
    return;
  } else {
    rec.deviation = deviation(ref, out);
    rec.check = { kind: 'output' };
    if (Number.isNaN(rec.deviation.maxAbs)) rec.note = `output has ${out.length} values but the reference's has ${ref.length}`;
  }
  rec.correct = rec.deviation.relative <= o.tolerance;
}

interface Cell {
  runner: Runner;
  rec: ResultRecord;
  prepared?: Prepared;
  timer?: CellTimer;
}

/** One run of the suite at one thread setting: cells of a workload interleaved repetition by repetition. */
async function runOnce(o: RunOptions, threads: number, cache: ReferenceCache | undefined, runIndex: number, cpus?: readonly number[]): Promise<{ report: BenchReport; cache: ReferenceCache }> {
  const ids = o.runners && o.runners.length ? [...new Set(o.runners)] : [...DEFAULT_RUNNERS];
  for (const id of ids) {
    if (!(ALL_RUNNERS as readonly string[]).includes(id)) throw new Error(`--runners has '${id}' but expected names from ${ALL_RUNNERS.join(', ')}`);
  }
  // cpu-js always starts: it is the reference even when it is not timed.
  if (!cache) {
    const reference = await createRunner('cpu-js', 1, o.smoke);
    if (typeof reference === 'string') throw new Error(`the cpu-js reference backend cannot start: ${reference}`);
    cache = { runner: reference, outputs: new Map(), training: new Map(), flips: new Map(), bytes: 0 };
  }
  const runners: Runner[] = [];
  const runnerInfos: BenchReport['runners'] = [];
  for (const id of ids) {
    const r = id === 'cpu-js' ? cache.runner : await createRunner(id, threads, o.smoke, o.peerIsa);
    if (typeof r === 'string') {
      runnerInfos.push({ id, kind: ourRunner(id) ? 'stridenet' : 'peer', label: id, version: '', threads: 0, requestedThreads: threads, available: false, reason: r });
    } else {
      runners.push(r);
      runnerInfos.push({ ...r.info, ...(id === 'cpu-js' ? { requestedThreads: threads, threadsNote: threads === 1 ? undefined : 'cpu-js is single-threaded' } : {}), ...(cpus ? { cpus: formatCpuList(cpus) } : {}), available: true });
    }
  }
  let workloads = suiteWorkloads(o.suite, { smoke: o.smoke, gemmSize: o.gemmSize });
  if (o.filter?.length) workloads = workloads.filter((w) => o.filter!.some((f) => w.id.includes(f)));
  const total = workloads.length * runners.length;
  o.onProgress?.({ type: 'start', total });
  const results: ResultRecord[] = [];
  let done = 0;
  const order = new Rng((o.seed ?? 1) + 1000 * runIndex);
  for (const w of workloads) {
    await setBackend((cache.runner as unknown as { backend: Parameters<typeof setBackend>[0] }).backend);
    const inputs = await makeInputs(w);
    const slowSkip = (id: string) => Boolean(w.heavy) && !o.heavyEverywhere && SLOW_FOR_HEAVY.has(id);
    const cells: Cell[] = [];
    // Set up and calibrate every runner first (in a shuffled order), then interleave the repetitions.
    for (const r of shuffled(runners, order)) {
      const id = r.info.id;
      const rec: ResultRecord = { workload: w.id, runner: id, threads, status: 'ok' };
      cells.push({ runner: r, rec });
      const excluded = (o.exclude ?? []).find((e) => {
        const at = e.indexOf(':');
        return at > 0 && e.slice(0, at) === id && w.id.includes(e.slice(at + 1));
      });
      const sup = slowSkip(id) ? `${w.title} is skipped on ${id} (minutes on a scalar backend; --heavy-everywhere runs it)` : excluded ? `excluded by --exclude ${excluded}` : r.supports(w);
      if (sup !== true) {
        rec.status = 'skipped';
        rec.reason = sup;
        continue;
      }
      o.onProgress?.({ type: 'cell', workload: w.id, runner: id, done, total, phase: 'prepare + calibrate' });
      try {
        const t0 = performance.now();
        const cell = cells[cells.length - 1]!;
        cell.prepared = await r.prepare(w, inputs);
        rec.prepareMs = performance.now() - t0;
        cell.timer = new CellTimer(cell.prepared, { minTime: o.minTime, reps: o.reps, maxCellSeconds: o.maxCellSeconds, settle: true });
        await cell.timer.start();
      } catch (e) {
        failCell(cells[cells.length - 1]!, e);
      }
    }
    for (let rep = 0; ; rep++) {
      const active = cells.filter((c) => c.timer && c.rec.status === 'ok' && c.timer.wantsMore());
      if (!active.length) break;
      for (const c of shuffled(active, order)) {
        o.onProgress?.({ type: 'cell', workload: w.id, runner: c.runner.info.id, done, total, phase: `rep ${rep + 1}/${o.reps}` });
        try {
          await c.timer!.rep();
        } catch (e) {
          failCell(c, e);
        }
      }
    }
    // The reference runner's own cell first: its output then serves as the reference of the others.
    for (const c of [...cells].sort((a, b) => Number(b.runner === cache.runner) - Number(a.runner === cache.runner))) {
      const rec = c.rec;
      if (c.prepared) {
        try {
          if (rec.status === 'ok') {
            rec.timing = c.timer!.timing();
            rec.throughput = throughput(w, rec.timing.medianMs);
            if (c.prepared.variant) rec.variant = c.prepared.variant;
            if (c.prepared.variants) rec.variants = c.prepared.variants;
            const rb = await c.prepared.readback?.();
            if (rb !== undefined) rec.readbackMs = rb * 1000;
            o.onProgress?.({ type: 'cell', workload: w.id, runner: rec.runner, done, total, phase: 'check' });
            await verify(rec, w, c.runner, c.prepared, inputs, cache, o, slowSkip('cpu-js'), runners);
          }
        } catch (e) {
          failCell(c, e);
        }
      }
    }
    // Leak counts are live tensors after minus before: disposing in reverse order of preparation keeps
    // other cells' tensors (prepared later, same framework) out of each count.
    for (const c of [...cells].reverse()) {
      if (!c.prepared) continue;
      const leaked = await c.prepared.dispose().catch(() => undefined);
      if (leaked !== undefined) c.rec.leakedTensors = leaked;
    }
    for (const r of runners) {
      const rec = cells.find((c) => c.runner === r)!.rec;
      results.push(rec);
      done += 1;
      o.onProgress?.({ type: 'result', record: rec, done, total });
    }
    o.onPartial?.(results);
  }
  const gpu = runners.find((r) => r.info.id === 'webgpu')?.info.device;
  for (const r of runners) if (r !== cache.runner) await r.close().catch(() => undefined);
  const report: BenchReport = {
    schema: SCHEMA_ID,
    version: SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    command: o.command ?? '',
    mode: o.smoke ? 'smoke' : 'full',
    settings: { minTime: o.minTime, reps: o.reps, repeat: 1, threads: [threads], maxCellSeconds: o.maxCellSeconds, tolerance: o.tolerance, baseline: o.baseline, seed: o.seed ?? 1, trainCheckSteps: o.trainCheckSteps ?? TRAIN_CHECK_STEPS, interleaved: true, settled: true, peerIsa: o.peerIsa ?? 'auto' },
    fingerprint: fingerprint(threads, { gpuAdapter: gpu, packages: Object.fromEntries(runners.filter((r) => r.info.kind === 'peer').map((r) => [r.info.id, r.info.version])) }),
    runners: runnerInfos,
    workloads: workloads.map((w) => ({ id: w.id, suite: w.suite, title: w.title, spec: w.spec, flops: w.flops, bytes: w.bytes, images: w.images, seed: w.seed })),
    results,
  };
  return { report, cache };
}

function failCell(c: Cell, e: unknown): void {
  c.rec.status = /unsupported|not support|does not support|not registered for backend/i.test(String(e)) ? 'skipped' : 'error';
  c.rec.reason = firstLine(e);
  delete c.rec.timing;
}

/**
 * Runs the suite `repeat` times at every thread setting (repeats outermost, so slow drift of the
 * machine touches every setting alike) and merges: each cell keeps its best run and the spread.
 */
export async function runBench(o: RunOptions): Promise<BenchReport> {
  const settings = typeof o.threads === 'number' ? [o.threads] : [...o.threads];
  if (!settings.length) throw new Error('--threads is empty but expected at least one thread count');
  if (o.peerIsa === 'avx2' && process.arch !== 'x64') throw new Error(`--peer-isa avx2 is for x86-64 hosts, but this one is ${process.arch}`);
  const repeat = o.repeat ?? 1;
  const runs: BenchReport[] = [];
  let cache: ReferenceCache | undefined;
  // Thread settings below the CPU count run with every runner on the same CPUs (affinity.ts).
  const allowed = o.pin === false ? undefined : allowedCpus();
  try {
    for (let i = 0; i < repeat; i++) {
      for (const t of settings) {
        const cpus = cpusForThreads(t, allowed);
        if (cpus) pinProcess(process.pid, cpus);
        try {
          const r = await runOnce(o, t, cache, runs.length, cpus);
          cache = r.cache;
          runs.push(r.report);
        } finally {
          if (cpus) pinProcess(process.pid, allowed!);
        }
      }
    }
  } finally {
    await cache?.runner.close().catch(() => undefined);
  }
  const merged = mergeReports(runs);
  merged.settings.repeat = repeat;
  return merged;
}

export type { RunnerInfo };
