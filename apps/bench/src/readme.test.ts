import { describe, expect, it } from 'vitest';
import { mergeReports } from './merge.js';
import { readmeProblems, regenerate } from './readme.js';
import { syntheticReport } from './testutil.js';

describe('README blocks generated from the JSON', () => {
  const one = syntheticReport({ 'model/lenet5/infer': { native: 2, onnxruntime: 2.01, torch: 4 } }, {}, 1);
  const two = syntheticReport({ 'model/lenet5/infer': { native: 1, onnxruntime: 1.5, torch: 3 } }, { 'model/lenet5/infer|torch': { correct: undefined, check: undefined, deviation: undefined } }, 2);
  const report = mergeReports([one, two]);
  const text = [
    '# Title',
    '<!-- stridenet-bench:begin table runners=native,onnxruntime,torch baseline=torch -->',
    'stale',
    '<!-- stridenet-bench:end -->',
    '<!-- stridenet-bench:begin summary target=native -->',
    '<!-- stridenet-bench:end -->',
    'Text without figures.',
  ].join('\n');

  it('renders tables with both thread settings and sentences against the fastest checked peer', () => {
    const out = regenerate(text, { default: report });
    expect(out).toContain('| workload | native 1T | native 2T | onnxruntime 1T | onnxruntime 2T | torch 1T | torch 2T |');
    expect(out).toMatch(/\| 3\.00 ms \(baseline\) unchecked \|/);
    expect(out).toMatch(/- model\/lenet5\/infer, native 1T: 2\.00 ms against onnxruntime 1T 2\.01 ms \(fastest checked peer\): 1\.00x \[0\.9\d-1\.0\d\], tie\./);
    expect(out).toMatch(/- model\/lenet5\/infer, native 2T: 1\.00 ms against onnxruntime 2T 1\.50 ms \(fastest checked peer\): 1\.50x \[1\.4\d-1\.5\d\], faster\./);
    expect(regenerate(out, { default: report })).toBe(out);
    expect(readmeProblems('README.md', out, { default: report })).toEqual([]);
  });

  it('--check fails on a stale block and on a ratio written by hand', () => {
    expect(readmeProblems('README.md', text, { default: report }).join('\n')).toMatch(/generated blocks differ from the JSON/);
    const handWritten = `${regenerate(text, { default: report })}\nnative is 3.05x PyTorch on LeNet-5.`;
    expect(readmeProblems('README.md', handWritten, { default: report }).join('\n')).toMatch(/README\.md:\d+: a speed ratio outside a generated block: 'native is 3\.05x PyTorch/);
    const other = `${regenerate(text, { default: report })}\n<!-- stridenet-bench:other-source native kernel bench -->\nWinograd is 1.4x direct.\n<!-- stridenet-bench:end -->`;
    expect(readmeProblems('README.md', other, { default: report })).toEqual([]);
  });

  it('keeps a runner that did not start in tables and sentences, with its reason', () => {
    const r = syntheticReport({ 'model/lenet5/infer': { native: 2, torch: 4 } });
    r.runners.push({ id: 'tfjs-cpu', kind: 'peer', label: 'tfjs-cpu', version: '', threads: 0, requestedThreads: 1, available: false, reason: 'ERR_MODULE_NOT_FOUND' });
    const block = (spec: string) => regenerate(`<!-- stridenet-bench:begin ${spec} -->\n<!-- stridenet-bench:end -->`, { default: r });
    const table = block('table');
    expect(table).toContain('| workload | native 1T | torch 1T | tfjs-cpu 1T (not available) |');
    expect(table).toMatch(/\| model\/lenet5\/infer \|.*\| not available \|/);
    expect(table).toContain('- **tfjs-cpu** (1T requested): not available: ERR_MODULE_NOT_FOUND');
    // A runner the block names but the run never asked for is said to be missing, not left blank.
    expect(block('table runners=native,onnxruntime')).toContain('- **onnxruntime** (1T requested): not available: not requested in this run');
    expect(block('summary target=tfjs-cpu')).toContain('- model/lenet5/infer, tfjs-cpu 1T (not available): ERR_MODULE_NOT_FOUND.');
  });

  it('rejects an unknown block option, naming it', () => {
    expect(() => regenerate('<!-- stridenet-bench:begin table colour=red -->\n<!-- stridenet-bench:end -->', { default: report })).toThrow(/block option 'colour=red' is unknown/);
  });
});
