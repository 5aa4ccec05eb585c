import { describe, expect, it } from 'vitest';
import { runBench } from './run.js';
import { validateReport, SCHEMA_ID, type BenchReport } from './schema.js';

describe('bench JSON schema', () => {
  let report: BenchReport;

  it('a real smoke run on cpu-js (and wasm, native where present) validates', async () => {
    report = await runBench({
      suite: 'all',
      smoke: true,
      runners: ['cpu-js', 'wasm', 'native'],
      threads: 1,
      minTime: 0,
      reps: 1,
      tolerance: 1e-3,
      baseline: 'cpu-js',
      gemmSize: 0,
      filter: ['conv2d/batch 17/', 'pool2d/max/2x2 stride 2, 8x8', 'dense/', 'model/lenet5/infer'],
    });
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report.schema).toBe(SCHEMA_ID);
    expect(report.workloads.map((w) => w.id)).toEqual(
      expect.arrayContaining(['conv2d/batch 17/fwd', 'conv2d/batch 17/bwd-input', 'conv2d/batch 17/bwd-filter', 'model/lenet5/infer/b2']),
    );
    const cpu = report.results.filter((r) => r.runner === 'cpu-js');
    expect(cpu.length).toBe(report.workloads.length);
    for (const r of cpu) {
      expect(r.status).toBe('ok');
      // cpu-js is its own reference: zero deviation, and nothing left allocated.
      expect(r.deviation).toEqual({ maxAbs: 0, relative: 0 });
      expect(r.leakedTensors).toBe(0);
      expect(r.timing!.samplesMs).toHaveLength(1);
    }
    for (const r of report.results.filter((x) => x.status === 'ok')) expect(r.correct).toBe(true);
    expect(report.fingerprint.logicalCores).toBeGreaterThan(0);
    expect(report.fingerprint.packages['@stridenet/core']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('names what is wrong in a broken report', () => {
    const broken = JSON.parse(JSON.stringify(report)) as BenchReport;
    broken.version = 2 as unknown as 1;
    broken.results[0]!.runner = 'nobody';
    broken.results[1]!.timing!.medianMs = -1;
    broken.results.push({ workload: broken.workloads[0]!.id, runner: 'cpu-js', status: 'skipped' });
    const problems = validateReport(broken);
    expect(problems.join('\n')).toMatch(/version is 2/);
    expect(problems.join('\n')).toMatch(/results\[0\]\.runner 'nobody'/);
    expect(problems.join('\n')).toMatch(/results\[1\]\.timing is not ordered/);
    expect(problems.join('\n')).toMatch(/reason is missing for a skipped result/);
    expect(validateReport(null)).toEqual(['report is not an object']);
  });
});
