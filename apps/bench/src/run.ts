import { setBackend } from '@stridenet/core';
import { deviation, makeInputs } from './data.js';
import { fingerprint } from './env.js';
import { measure } from './measure.js';
import { createOnnxRunner } from './runners/onnx.js';
import { OUR_BACKENDS, createStridenetRunner, firstLine } from './runners/stridenet.js';
import { createTfjsRunner } from './runners/tfjs.js';
import { createTorchRunner } from './runners/torch.js';
import type { Runner, RunnerInfo } from './runners/types.js';
import { SCHEMA_ID, SCHEMA_VERSION, type BenchReport, type ResultRecord } from './schema.js';
import { suiteWorkloads, type Workload } from './workloads.js';

export const PEER_RUNNERS = ['tfjs-cpu', 'tfjs-wasm', 'onnxruntime', 'torch'] as const;
export const ALL_RUNNERS = [...OUR_BACKENDS, ...PEER_RUNNERS] as const;
/** Scalar backends on which GEMM 4096^3 takes minutes: skipped unless asked for. */
const SLOW_FOR_HEAVY = new Set(['cpu-js', 'tfjs-cpu', 'webgpu']);

export interface RunOptions {
  suite: 'ops' | 'models' | 'all';
  smoke: boolean;
  /** Runner ids to run (default: all that are available). */
  runners?: readonly string[];
  threads: number;
  minTime: number;
  reps: number;
  maxCellSeconds?: number;
  /** Relative deviation from cpu-js accepted as correct. */
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
  command?: string;
  /** Called with the results so far after every cell (a crash of a backend then loses nothing). */
  onPartial?: (results: readonly ResultRecord[]) => void;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'start'; total: number }
  | { type: 'cell'; workload: string; runner: string; done: number; total: number; phase: string }
  | { type: 'result'; record: ResultRecord; done: number; total: number };

async function createRunner(id: string, threads: number): Promise<Runner | string> {
  try {
    if ((OUR_BACKENDS as readonly string[]).includes(id)) return await createStridenetRunner(id as (typeof OUR_BACKENDS)[number], threads);
    if (id === 'tfjs-cpu' || id === 'tfjs-wasm') return await createTfjsRunner(id, threads);
    if (id === 'onnxruntime') return await createOnnxRunner(threads);
    if (id === 'torch') return await createTorchRunner(threads);
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

/** Runs every workload on every runner; cpu-js's output on the same inputs is the reference. */
export async function runBench(o: RunOptions): Promise<BenchReport> {
  // cpu-js first: its timed output doubles as the reference when it is in the run.
  const ids = (o.runners && o.runners.length ? [...o.runners] : [...ALL_RUNNERS]).sort((a, b) => Number(b === 'cpu-js') - Number(a === 'cpu-js'));
  for (const id of ids) {
    if (!(ALL_RUNNERS as readonly string[]).includes(id)) throw new Error(`--runners has '${id}' but expected names from ${ALL_RUNNERS.join(', ')}`);
  }
  // cpu-js always starts: it is the reference even when it is not timed.
  const reference = await createRunner('cpu-js', o.threads);
  if (typeof reference === 'string') throw new Error(`the cpu-js reference backend cannot start: ${reference}`);
  const runners: Runner[] = [];
  const runnerInfos: BenchReport['runners'] = [];
  for (const id of ids) {
    const r = id === 'cpu-js' ? reference : await createRunner(id, o.threads);
    if (typeof r === 'string') {
      runnerInfos.push({ id, kind: (OUR_BACKENDS as readonly string[]).includes(id) ? 'stridenet' : 'peer', label: id, version: '', threads: 0, available: false, reason: r });
    } else {
      runners.push(r);
      runnerInfos.push({ ...r.info, available: true });
    }
  }
  let workloads = suiteWorkloads(o.suite, { smoke: o.smoke, gemmSize: o.gemmSize });
  if (o.filter?.length) workloads = workloads.filter((w) => o.filter!.some((f) => w.id.includes(f)));
  const total = workloads.length * runners.length;
  o.onProgress?.({ type: 'start', total });
  const results: ResultRecord[] = [];
  let done = 0;
  const refBackend = (reference as unknown as { backend: Parameters<typeof setBackend>[0] }).backend;
  for (const w of workloads) {
    await setBackend(refBackend);
    const inputs = await makeInputs(w);
    let refOut: Float32Array | undefined;
    const slowSkip = (id: string) => w.heavy && !o.heavyEverywhere && SLOW_FOR_HEAVY.has(id);
    const timedReference = runners.includes(reference) && !slowSkip('cpu-js');
    if (!slowSkip('cpu-js') && !timedReference) {
      o.onProgress?.({ type: 'cell', workload: w.id, runner: 'cpu-js', done, total, phase: 'reference' });
      try {
        const p = await reference.prepare(w, inputs);
        await p.runIterations(1);
        refOut = await p.output();
        await p.dispose();
      } catch {
        refOut = undefined;
      }
    }
    for (const r of runners) {
      const id = r.info.id;
      o.onProgress?.({ type: 'cell', workload: w.id, runner: id, done, total, phase: 'prepare' });
      const rec: ResultRecord = { workload: w.id, runner: id, status: 'ok' };
      const excluded = (o.exclude ?? []).find((e) => {
        const at = e.indexOf(':');
        return at > 0 && e.slice(0, at) === id && w.id.includes(e.slice(at + 1));
      });
      const sup = slowSkip(id)
        ? `${w.title} is skipped on ${id} (minutes on a scalar backend; --heavy-everywhere runs it)`
        : excluded
          ? `excluded by --exclude ${excluded}`
          : r.supports(w);
      if (sup !== true) {
        rec.status = 'skipped';
        rec.reason = sup;
      } else {
        try {
          const t0 = performance.now();
          const p = await r.prepare(w, inputs);
          rec.prepareMs = performance.now() - t0;
          try {
            rec.timing = await measure(p, { minTime: o.minTime, reps: o.reps, maxCellSeconds: o.maxCellSeconds }, (rep, reps) =>
              o.onProgress?.({ type: 'cell', workload: w.id, runner: id, done, total, phase: `rep ${rep}/${reps}` }),
            );
            rec.throughput = throughput(w, rec.timing.medianMs);
            const out = await p.output();
            if (id === 'cpu-js' && timedReference) refOut = out;
            // Peers draw their own dropout masks: their training loss legitimately differs from cpu-js's.
            const ownMasks = r.info.kind === 'peer' && w.spec.kind === 'model' && w.spec.mode === 'train' && inputs.model?.nodes.some((n) => n.op === 'dropout' && n.rate > 0);
            rec.deviation = refOut && !ownMasks ? deviation(refOut, out) : null;
            if (ownMasks) rec.note = 'not checked: the peer draws its own dropout masks';
            else if (!refOut) rec.note = 'not checked: no cpu-js reference for this workload';
            if (rec.deviation) rec.correct = rec.deviation.relative <= o.tolerance;
            if (rec.deviation && Number.isNaN(rec.deviation.maxAbs)) rec.note = `output has ${out.length} values but cpu-js's has ${refOut!.length}`;
          } finally {
            const leaked = await p.dispose();
            if (leaked !== undefined) rec.leakedTensors = leaked;
          }
        } catch (e) {
          rec.status = /unsupported|not support|does not support|not registered for backend/i.test(String(e)) ? 'skipped' : 'error';
          rec.reason = firstLine(e);
          delete rec.timing;
        }
      }
      results.push(rec);
      done += 1;
      o.onProgress?.({ type: 'result', record: rec, done, total });
      o.onPartial?.(results);
    }
  }
  const gpu = runners.find((r) => r.info.id === 'webgpu')?.info.device;
  for (const r of runners) await r.close().catch(() => undefined);
  if (!runners.includes(reference)) await reference.close().catch(() => undefined);
  return {
    schema: SCHEMA_ID,
    version: SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    command: o.command ?? '',
    mode: o.smoke ? 'smoke' : 'full',
    settings: { minTime: o.minTime, reps: o.reps, maxCellSeconds: o.maxCellSeconds, tolerance: o.tolerance, baseline: o.baseline },
    fingerprint: fingerprint(o.threads, { gpuAdapter: gpu, packages: Object.fromEntries(runners.filter((r) => r.info.kind === 'peer').map((r) => [r.info.id, r.info.version])) }),
    runners: runnerInfos,
    workloads: workloads.map((w) => ({ id: w.id, suite: w.suite, title: w.title, spec: w.spec, flops: w.flops, bytes: w.bytes, images: w.images, seed: w.seed })),
    results,
  };
}

export type { RunnerInfo };
