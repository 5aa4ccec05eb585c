import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recommend, writeRecommendation } from './recommend.js';
import { syntheticReport } from './testutil.js';

describe('--recommend', () => {
  const report = syntheticReport(
    {
      'model/lenet5/infer': { 'cpu-js': 10, wasm: 3, native: 1, torch: 0.5 },
      'model/resnet20/train': { 'cpu-js': 100, wasm: 20, native: 30 },
    },
    { 'model/lenet5/infer|native': { correct: false, deviation: { maxAbs: 1, relative: 0.5 } } },
  );

  it('picks the fastest stridenet backend whose output matches cpu-js; peers never', () => {
    const rec = recommend(report);
    expect(rec.models.lenet5!.backend).toBe('wasm');
    expect(rec.models.lenet5!.alternatives.map((a) => a.backend)).toEqual(['cpu-js']);
    expect(rec.models.resnet20!.backend).toBe('wasm');
    expect(rec.backend).toBe('wasm');
    expect(recommend(report, ['resnet20']).models.lenet5).toBeUndefined();
  });

  it('writes the file the CLI reads and keeps other models', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-rec-')), 'nested', 'recommendation.json');
    writeRecommendation({ models: { vgg16: { backend: 'native', medianMs: 1, workload: 'w', deviation: 0, alternatives: [] } } }, file);
    writeRecommendation(recommend(report, ['lenet5']), file);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { backend: string; models: Record<string, { backend: string }> };
    expect(json.models.lenet5!.backend).toBe('wasm');
    expect(json.models.vgg16!.backend).toBe('native');
    expect(json.backend).toBe('wasm');
    writeFileSync(file, 'not json');
    expect(() => writeRecommendation(recommend(report), file)).not.toThrow();
  });
});
