import { SCHEMA_ID, SCHEMA_VERSION, type BenchReport, type ResultRecord } from './schema.js';
import { fingerprint } from './env.js';

/** A small, valid report with chosen medians (for compare/recommend/report tests). */
export function syntheticReport(medians: Record<string, Record<string, number>>, extra: Partial<Record<string, Partial<ResultRecord>>> = {}): BenchReport {
  const runners = [...new Set(Object.values(medians).flatMap((m) => Object.keys(m)))];
  const results: ResultRecord[] = [];
  for (const [workload, byRunner] of Object.entries(medians)) {
    for (const [runner, ms] of Object.entries(byRunner)) {
      results.push({
        workload,
        runner,
        status: 'ok',
        timing: { firstRunMs: ms * 3, iterations: 2, reps: 5, samplesMs: [ms, ms, ms, ms, ms], medianMs: ms, minMs: ms, maxMs: ms, p90Ms: ms, capped: false, peakRssBytes: 1e8, peakBackendBytes: 1e6 },
        deviation: { maxAbs: 0, relative: 0 },
        correct: true,
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
    settings: { minTime: 0.5, reps: 5, tolerance: 1e-3, baseline: 'cpu-js' },
    fingerprint: fingerprint(1),
    runners: runners.map((id) => ({ id, kind: ['cpu-js', 'wasm', 'native', 'webgpu'].includes(id) ? 'stridenet' : 'peer', label: id, version: '0', threads: 1, available: true })),
    workloads: Object.keys(medians).map((id) => {
      const [, model, mode] = id.split('/');
      return { id, suite: 'models' as const, title: id, spec: { kind: 'model' as const, model: model!, mode: mode as 'train' | 'infer', batch: 4, inputShape: [1, 28, 28] as const, numClasses: 10 }, images: 4, seed: 1 };
    }),
    results,
  };
}
