import { SCHEMA_ID, SCHEMA_VERSION, type BenchReport, type ResultRecord } from './schema.js';
import { fingerprint } from './env.js';

/** A small, valid report with chosen medians (for compare/recommend/report tests). */
export function syntheticReport(medians: Record<string, Record<string, number>>, extra: Partial<Record<string, Partial<ResultRecord>>> = {}, threads = 1): BenchReport {
  const runners = [...new Set(Object.values(medians).flatMap((m) => Object.keys(m)))];
  const results: ResultRecord[] = [];
  for (const [workload, byRunner] of Object.entries(medians)) {
    for (const [runner, ms] of Object.entries(byRunner)) {
      results.push({
        workload,
        runner,
        threads,
        status: 'ok',
        // Seven samples spread +-2% around the median: intervals well clear of 1.0 for ratios above 1.1.
        timing: { firstRunMs: ms * 3, iterations: 2, reps: 7, samplesMs: [0.98, 0.99, 1, 1, 1, 1.01, 1.02].map((f) => f * ms), medianMs: ms, minMs: 0.98 * ms, maxMs: 1.02 * ms, p90Ms: 1.014 * ms, ci95Ms: [0.99 * ms, 1.01 * ms], capped: false, peakRssBytes: 1e8, peakBackendBytes: 1e6, loadAverage: [0.5, 0.5] },
        deviation: { maxAbs: 0, relative: 0 },
        correct: true,
        check: { kind: 'output' },
        leakedTensors: 0,
        ...extra[`${workload}|${runner}`],
      });
    }
  }
  return {
    schema: SCHEMA_ID,
    version: SCHEMA_VERSION,
    createdAt: new Date(0).toISOString(),
    command: 'test',
    mode: 'full',
    settings: { minTime: 0.5, reps: 7, repeat: 1, threads: [threads], tolerance: 1e-3, baseline: 'cpu-js', seed: 1, trainCheckSteps: 3, interleaved: true },
    fingerprint: fingerprint(1),
    runners: runners.map((id) => ({ id, kind: ['cpu-js', 'wasm', 'native', 'webgpu'].includes(id) ? 'stridenet' : 'peer', label: id, version: '0', threads: ['tfjs-wasm', 'tfjs-cpu', 'cpu-js'].includes(id) ? 1 : threads, requestedThreads: threads, available: true })),
    workloads: Object.keys(medians).map((id) => {
      const [, model, mode] = id.split('/');
      return { id, suite: 'models' as const, title: id, spec: { kind: 'model' as const, model: model!, mode: mode as 'train' | 'infer', batch: 4, inputShape: [1, 28, 28] as const, numClasses: 10 }, images: 4, seed: 1 };
    }),
    results,
  };
}
