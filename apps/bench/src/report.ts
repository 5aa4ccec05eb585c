import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchReport, ResultRecord } from './schema.js';

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

export function fmtBytes(b: number | undefined): string {
  if (b === undefined || !Number.isFinite(b)) return '-';
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

function fmtThroughput(r: ResultRecord): string {
  if (!r.throughput) return '';
  const v = r.throughput.value;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${r.throughput.unit}`;
}

function fmtDev(r: ResultRecord): string {
  if (r.deviation === undefined || r.deviation === null) return 'n/a';
  return r.deviation.relative.toExponential(1);
}

/** Speed of `r` relative to the baseline on the same workload: > 1 means faster than the baseline. */
export function ratio(report: BenchReport, r: ResultRecord, baseline: string): number | undefined {
  const b = report.results.find((x) => x.workload === r.workload && x.runner === baseline && x.status === 'ok');
  if (!b?.timing || !r.timing) return undefined;
  return b.timing.medianMs / r.timing.medianMs;
}

function runnersOf(report: BenchReport): string[] {
  return report.runners.filter((r) => r.available).map((r) => r.id);
}

function cell(report: BenchReport, workload: string, runner: string, baseline: string): string {
  const r = report.results.find((x) => x.workload === workload && x.runner === runner);
  if (!r) return '';
  if (r.status !== 'ok') return r.status === 'skipped' ? 'skip' : 'error';
  const k = ratio(report, r, baseline);
  const bad = r.correct === false ? ' ✗' : '';
  return `${fmtMs(r.timing!.medianMs)}${k !== undefined ? ` (${k.toFixed(2)}x)` : ''}${bad}`;
}

/** Median per iteration, with the speed ratio against the baseline in parentheses. */
export function markdown(report: BenchReport, baseline = report.settings.baseline): string {
  const runners = runnersOf(report);
  const f = report.fingerprint;
  const lines: string[] = [];
  lines.push(`# stridenet-bench (${report.mode})`, '');
  lines.push(`${f.cpuModel}, ${f.logicalCores} logical cores${f.clockMHz ? ` @ ${f.clockMHz} MHz` : ''}, ${fmtBytes(f.memoryBytes)} RAM, Node ${f.node}, threads ${f.threads}${f.gpuAdapter ? `, GPU: ${f.gpuAdapter}` : ''}${f.loadAverage ? `, load average ${f.loadAverage.join(' / ')}` : ''}. ${report.createdAt}.`, '');
  lines.push(`Median time per iteration; in parentheses the speed relative to **${baseline}** on the same workload in this run (> 1 = faster). ✗ = output deviates from cpu-js beyond ${report.settings.tolerance}.`, '');
  for (const suite of ['models', 'ops'] as const) {
    const ws = report.workloads.filter((w) => w.suite === suite);
    if (!ws.length) continue;
    lines.push(`## ${suite === 'models' ? 'Models' : 'Ops'}`, '');
    lines.push(`| workload | ${runners.join(' | ')} |`, `|---|${runners.map(() => '---:').join('|')}|`);
    for (const w of ws) lines.push(`| ${w.title} | ${runners.map((r) => cell(report, w.id, r, baseline)).join(' | ')} |`);
    lines.push('');
  }
  lines.push('## Details', '', '| workload | runner | median | min | p90 | max | reps x iters | first run | throughput | peak RSS | backend bytes | rel. deviation | leaked |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of report.results) {
    const w = report.workloads.find((x) => x.id === r.workload)!;
    if (r.status !== 'ok') {
      lines.push(`| ${w.title} | ${r.runner} | ${r.status}: ${(r.reason ?? '').replace(/\|/g, '/')} |||||||||||`);
      continue;
    }
    const t = r.timing!;
    lines.push(
      `| ${w.title} | ${r.runner} | ${fmtMs(t.medianMs)} | ${fmtMs(t.minMs)} | ${fmtMs(t.p90Ms)} | ${fmtMs(t.maxMs)} | ${t.reps}x${t.iterations}${t.capped ? ' (capped)' : ''} | ${fmtMs(t.firstRunMs)} | ${fmtThroughput(r)} | ${fmtBytes(t.peakRssBytes)} | ${fmtBytes(t.peakBackendBytes)} | ${fmtDev(r)} | ${r.leakedTensors ?? 'n/a'} |`,
    );
  }
  lines.push('', '## Runners', '');
  for (const r of report.runners) lines.push(`- **${r.id}**: ${r.available ? `${r.label} ${r.version}, ${r.threads} thread(s)${r.device ? `, ${r.device}` : ''}` : `not available: ${r.reason}`}`);
  lines.push('', `Packages: ${Object.entries(f.packages).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  return lines.join('\n');
}

/** Plain-text table for the terminal. */
export function terminalTable(report: BenchReport, baseline = report.settings.baseline): string {
  const runners = runnersOf(report);
  const rows = [['workload', ...runners], ...report.workloads.map((w) => [w.title, ...runners.map((r) => cell(report, w.id, r, baseline))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** One bar chart per workload: speed relative to the baseline (log scale), labelled with the median. */
export async function html(report: BenchReport, baseline = report.settings.baseline): Promise<string> {
  const sections: string[] = [];
  for (const w of report.workloads) {
    const values = report.results
      .filter((r) => r.workload === w.id && r.status === 'ok')
      .map((r) => ({ runner: r.runner, ratio: ratio(report, r, baseline) ?? Number.NaN, median: fmtMs(r.timing!.medianMs), kind: report.runners.find((x) => x.id === r.runner)?.kind ?? 'peer', correct: r.correct !== false }));
    const usable = values.filter((v) => Number.isFinite(v.ratio));
    if (!usable.length) {
      sections.push(`<section><h3>${escapeHtml(w.title)}</h3><p>No result relative to ${escapeHtml(baseline)}.</p></section>`);
      continue;
    }
    const chart = await svg({
      width: 420,
      height: { step: 18 },
      data: { values: usable.map((v) => ({ ...v, label: `${v.median} · ${v.ratio.toFixed(2)}x${v.correct ? '' : ' ✗'}` })) },
      encoding: {
        y: { field: 'runner', type: 'nominal', sort: { field: 'ratio', op: 'max', order: 'descending' }, title: null },
        x: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: `speed vs ${baseline} (x, log scale)` },
      },
      layer: [
        // Bars grow from 1x (the baseline): right = faster, left = slower; a log axis keeps 0.1x and 10x symmetric.
        { mark: 'bar', encoding: { x2: { datum: 1 }, color: { field: 'kind', type: 'nominal', title: 'runner', scale: { domain: ['stridenet', 'peer'], range: ['#2b6cb0', '#a0aec0'] } } } },
        { mark: { type: 'rule', color: '#333' }, encoding: { x: { datum: 1 } } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } },
      ],
    });
    sections.push(`<section><h3>${escapeHtml(w.title)}</h3><div class="chart">${chart}</div></section>`);
  }
  const md = markdown(report, baseline);
  const f = report.fingerprint;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stridenet-bench ${escapeHtml(report.createdAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}section{margin:1rem 0}h3{font-size:1rem;margin:.5rem 0}pre{background:#f6f8fa;padding:1rem;overflow:auto;font-size:12px}</style>
</head><body>
<h1>stridenet-bench (${report.mode})</h1>
<p>${escapeHtml(f.cpuModel)}, ${f.logicalCores} logical cores, Node ${escapeHtml(f.node)}, threads ${f.threads}. Bars: speed relative to <b>${escapeHtml(baseline)}</b> in this run (&gt; 1 = faster), labelled with the median time per iteration. Only ratios within one run are comparable.</p>
${sections.join('\n')}
<h2>Tables</h2><pre>${escapeHtml(md)}</pre>
</body></html>
`;
}
