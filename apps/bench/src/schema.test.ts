import { describe, expect, it } from 'vitest';
import { allowedCpus } from './affinity.js';
import { runBench } from './run.js';
import { validateReport, SCHEMA_ID, type BenchReport } from './schema.js';

describe('bench JSON schema', () => {
  let report: BenchReport;

  it('a real smoke run on cpu-js (and wasm, native where present) validates', async () => {
    const before = allowedCpus();
    report = await runBench({
      suite: 'all',
      smoke: true,
      runners: ['cpu-js', 'wasm', 'native'],
      threads: [1, 2],
      minTime: 0,
      reps: 2,
      tolerance: 1e-3,
      baseline: 'cpu-js',
      gemmSize: 0,
      filter: ['conv2d/batch 17/', 'pool2d/max/2x2 stride 2, 8x8', 'dense/', 'model/lenet5/'],
    });
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report.schema).toBe(SCHEMA_ID);
    expect(report.workloads.map((w) => w.id)).toEqual(
      expect.arrayContaining(['conv2d/batch 17/fwd', 'conv2d/batch 17/bwd-input', 'conv2d/batch 17/bwd-filter', 'model/lenet5/infer/b2']),
    );
    expect(report.settings.threads).toEqual([1, 2]);
    const cpu = report.results.filter((r) => r.runner === 'cpu-js' && r.threads === 1);
    expect(cpu.length).toBe(report.workloads.length);
    for (const r of cpu) {
      expect(r.status).toBe('ok');
      // cpu-js is its own reference: zero deviation, and nothing left allocated.
      expect(r.deviation).toEqual({ maxAbs: 0, relative: 0 });
      expect(r.leakedTensors).toBe(0);
      expect(r.timing!.samplesMs).toHaveLength(2);
    }
    for (const r of report.results.filter((x) => x.status === 'ok')) {
      expect(r.correct).toBe(true);
      expect(r.timing!.ci95Ms[0]).toBeLessThanOrEqual(r.timing!.medianMs);
    }
    // Training is checked by the weights after the steps, not the first loss.
    const train = report.results.filter((r) => r.workload === 'model/lenet5/train/b2' && r.status === 'ok');
    expect(train.length).toBeGreaterThan(1);
    for (const r of train) expect(r.check).toMatchObject({ kind: 'train', steps: 3, dropout: 'off' });
    const native = report.runners.find((r) => r.id === 'native' && r.requestedThreads === 2);
    if (native?.available) expect(native.threads).toBe(2);
    if (process.platform === 'linux' && before && before.length >= 2) {
      // 1 thread below the CPU count: every runner pinned to the first allowed CPU, 2 threads not; restored after.
      for (const r of report.runners.filter((x) => x.available)) expect(r.cpus).toBe(r.requestedThreads === 1 ? String(before[0]) : undefined);
      expect(allowedCpus()).toEqual(before);
    }
    expect(report.fingerprint.logicalCores).toBeGreaterThan(0);
    expect(report.fingerprint.packages['@stridenet/core']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('names what is wrong in a broken report', () => {
    const broken = JSON.parse(JSON.stringify(report)) as BenchReport;
    broken.version = 3 as unknown as 2;
    broken.results[0]!.runner = 'nobody';
    broken.results[1]!.timing!.medianMs = -1;
    broken.results.push({ workload: broken.workloads[0]!.id, runner: 'cpu-js', threads: 1, status: 'skipped' });
    const problems = validateReport(broken);
    expect(problems.join('\n')).toMatch(/version is 3/);
    expect(problems.join('\n')).toMatch(/results\[0\]\.runner 'nobody'/);
    expect(problems.join('\n')).toMatch(/results\[1\]\.timing is not ordered/);
    expect(problems.join('\n')).toMatch(/reason is missing for a skipped result/);
    expect(validateReport(null)).toEqual(['report is not an object']);
  });
});
