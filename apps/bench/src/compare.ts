import { fmtMs } from './report.js';
import { validateReport, type BenchReport } from './schema.js';

export interface CompareRow {
  workload: string;
  runner: string;
  a?: number;
  b?: number;
  /** a.median / b.median: > 1 means run B is faster. */
  ratio?: number;
}

/** Pairs the ok results of two runs by (workload, runner). */
export function compareReports(a: BenchReport, b: BenchReport): CompareRow[] {
  for (const [name, r] of [['A', a], ['B', b]] as const) {
    const problems = validateReport(r);
    if (problems.length) throw new Error(`report ${name} is not a stridenet-bench v2 report: ${problems.slice(0, 3).join('; ')}`);
  }
  // Runner and thread setting together: the same runner at 1 and 2 threads are two rows.
  const key = (w: string, r: string, t: number) => `${w}\u0000${r} ${t}T`;
  const med = (rep: BenchReport) => new Map(rep.results.filter((x) => x.status === 'ok').map((x) => [key(x.workload, x.runner, x.threads), x.timing!.medianMs]));
  const ma = med(a);
  const mb = med(b);
  const keys = [...new Set([...ma.keys(), ...mb.keys()])];
  return keys.map((k) => {
    const [workload, runner] = k.split('\u0000') as [string, string];
    const x = ma.get(k);
    const y = mb.get(k);
    return { workload, runner, a: x, b: y, ratio: x !== undefined && y !== undefined ? x / y : undefined };
  });
}

export function compareMarkdown(a: BenchReport, b: BenchReport, labels: [string, string] = ['A', 'B']): string {
  const rows = compareReports(a, b);
  const fp = (r: BenchReport) => `${r.fingerprint.cpuModel}, ${r.fingerprint.logicalCores} cores, Node ${r.fingerprint.node}, ${r.createdAt}`;
  const out = [
    `A = ${labels[0]}: ${fp(a)}`,
    `B = ${labels[1]}: ${fp(b)}`,
    '',
    'ratio = A median / B median (> 1: B is faster).',
    '',
    '| workload | runner | A median | B median | ratio |',
    '|---|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    out.push(`| ${r.workload} | ${r.runner} | ${r.a !== undefined ? fmtMs(r.a) : '-'} | ${r.b !== undefined ? fmtMs(r.b) : '-'} | ${r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '-'} |`);
  }
  return out.join('\n') + '\n';
}
