import { describe, expect, it } from 'vitest';
import { compiledTrainingCheck, expectCompiledTrainingAgreement, type CompiledTrainingResult } from './compiled-training.js';
import { COMPILED_CASES } from './compiled.js';
import { createReferenceBackend } from './reference/backend.js';

describe('compiled-vs-eager training check', () => {
  it('passes on the float64 reference backend for two zoo models', async () => {
    const cases = COMPILED_CASES.filter((c) => c.model === 'ccpccp' || c.model === 'resnet20');
    const results = await compiledTrainingCheck(() => createReferenceBackend(), cases);
    expect(results.map((r) => r.model)).toEqual(['ccpccp', 'resnet20']);
    // ResNet-20: 19 ReLUs after a batch norm and 9 residual Adds.
    expect(results[1]!.fused).toBe(28);
    expectCompiledTrainingAgreement(results);
  }, 300_000);

  it('names the models that disagree or leak', () => {
    const ok: CompiledTrainingResult = { model: 'a', loss: 1e-7, weights: 1e-7, worst: 'fc.bias', fused: 1, leaked: 0 };
    expect(() => expectCompiledTrainingAgreement([ok])).not.toThrow();
    expect(() => expectCompiledTrainingAgreement([ok, { ...ok, model: 'b', weights: 2e-3 }])).toThrow(/b: loss 1\.000e-7, weights 2\.000e-3 \(fc\.bias\) \(rtol 0\.001\), leaked 0/);
    expect(() => expectCompiledTrainingAgreement([{ ...ok, model: 'c', leaked: 2 }])).toThrow(/c: .*leaked 2/);
    expect(() => expectCompiledTrainingAgreement([{ ...ok, loss: NaN }])).toThrow(/loss NaN/);
  });
});
