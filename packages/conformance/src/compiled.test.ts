import { describe, expect, it } from 'vitest';
import { compiledCheck, expectCompiledAgreement, COMPILED_CASES, type CompiledResult } from './compiled.js';
import { createReferenceBackend } from './reference/backend.js';

describe('compiled-vs-eager check', () => {
  it('passes on the float64 reference backend for two zoo models', async () => {
    const cases = COMPILED_CASES.filter((c) => c.model === 'lenet5' || c.model === 'resnet20');
    const results = await compiledCheck(() => createReferenceBackend(), cases);
    expect(results.map((r) => r.model)).toEqual(['lenet5', 'resnet20']);
    expect(results[1]!.rewrites).toBeGreaterThan(20);
    expect(results.map((r) => r.sliced.sliceSize)).toEqual([1, 1]);
    expectCompiledAgreement(results);
  }, 120_000);

  it('names the models that disagree or leak', () => {
    const ok: CompiledResult = { model: 'a', relative: 1e-7, rewrites: 0, steps: { compiled: 1, eager: 1 }, leaked: 0, sliced: { relative: 1e-7, sliceSize: 1, leaked: 0 }, fused: { relative: 1e-7, leaked: 0 } };
    expect(() => expectCompiledAgreement([ok])).not.toThrow();
    expect(() => expectCompiledAgreement([ok, { ...ok, model: 'b', relative: 2e-5 }])).toThrow(/b: relative 2\.000e-5 \(rtol 0\.00001\), leaked 0; in slices of 1: relative 1\.000e-7, leaked 0/);
    expect(() => expectCompiledAgreement([{ ...ok, model: 'd', sliced: { relative: 3e-5, sliceSize: 1, leaked: 0 } }])).toThrow(/d: .*in slices of 1: relative 3\.000e-5/);
    expect(() => expectCompiledAgreement([{ ...ok, model: 'e', sliced: { relative: 0, sliceSize: 1, leaked: 2 } }])).toThrow(/e: .*in slices of 1: .*leaked 2/);
    expect(() => expectCompiledAgreement([{ ...ok, model: 'c', leaked: 1 }])).toThrow(/c: .*leaked 1/);
    expect(() => expectCompiledAgreement([{ ...ok, model: 'f', fused: { relative: 4e-5, leaked: 0 } }])).toThrow(/f: .*fused eager: relative 4\.000e-5, leaked 0/);
    expect(() => expectCompiledAgreement([{ ...ok, model: 'g', fused: { relative: 0, leaked: 3 } }])).toThrow(/g: .*fused eager: .*leaked 3/);
    expect(() => expectCompiledAgreement([{ ...ok, relative: NaN }])).toThrow(/relative NaN/);
  });
});
