import { describe, expect, it } from 'vitest';
import { compareMarkdown, compareReports } from './compare.js';
import { syntheticReport } from './testutil.js';

describe('compare', () => {
  const a = syntheticReport({ 'model/lenet5/infer': { 'cpu-js': 10, native: 2 }, 'model/lenet5/train': { 'cpu-js': 40 } });
  const b = syntheticReport({ 'model/lenet5/infer': { 'cpu-js': 5, native: 4, torch: 1 } });

  it('pairs results by workload and runner with A/B ratios', () => {
    const rows = compareReports(a, b);
    const get = (w: string, r: string) => rows.find((x) => x.workload === w && x.runner === r)!;
    expect(get('model/lenet5/infer', 'cpu-js 1T').ratio).toBeCloseTo(2);
    expect(get('model/lenet5/infer', 'native 1T').ratio).toBeCloseTo(0.5);
    expect(get('model/lenet5/train', 'cpu-js 1T')).toMatchObject({ a: 40, b: undefined, ratio: undefined });
    expect(get('model/lenet5/infer', 'torch 1T')).toMatchObject({ a: undefined, b: 1 });
  });

  it('renders a Markdown table', () => {
    const md = compareMarkdown(a, b, ['x.json', 'y.json']);
    expect(md).toContain('| model/lenet5/infer | cpu-js 1T | 10.0 ms | 5.00 ms | 2.00x |');
    expect(md).toContain('| model/lenet5/train | cpu-js 1T | 40.0 ms | - | - |');
    expect(md).toMatch(/A = x\.json/);
  });

  it('refuses a file that is not a bench report', () => {
    expect(() => compareReports({ hello: 1 } as never, b)).toThrow(/report A is not a stridenet-bench v2 report: schema is undefined/);
  });
});
