import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { columns, conditionsSentence, fmtMs, fmtRatio, markdown, ratio, result } from './report.js';
import type { BenchReport } from './schema.js';

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * One bar chart per workload: speed relative to the baseline (log scale) per runner and thread
 * setting, with its 95% interval as a rule; labels say tie / unchecked / ✗ as the tables do.
 */
export async function html(report: BenchReport, baseline = report.settings.baseline): Promise<string> {
  const sections: string[] = [];
  const cols = columns(report);
  for (const w of report.workloads) {
    const values = cols.flatMap((c) => {
      const r = result(report, w.id, c.runner, c.threads);
      if (r?.status !== 'ok') return [];
      const k = ratio(report, r, baseline);
      if (!k) return [];
      const marks = `${k.tie && c.runner !== baseline ? ' tie' : ''}${r.correct === undefined ? ' unchecked' : r.correct === false ? ' ✗' : ''}`;
      return [{ runner: c.label, ratio: k.value, lo: k.interval.lo, hi: k.interval.hi, kind: report.runners.find((x) => x.id === c.runner)?.kind ?? 'peer', checked: r.correct === true ? 'checked' : 'unchecked or wrong', label: `${fmtMs(r.timing!.medianMs)} · ${fmtRatio(k.value)}${marks}` }];
    });
    if (!values.length) {
      sections.push(`<section><h3>${escapeHtml(w.title)}</h3><p>No result relative to ${escapeHtml(baseline)}.</p></section>`);
      continue;
    }
    const chart = await svg({
      width: 420,
      height: { step: 18 },
      data: { values },
      encoding: {
        y: { field: 'runner', type: 'nominal', sort: { field: 'ratio', op: 'max', order: 'descending' }, title: null },
        x: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: `speed vs ${baseline} (x, log scale)` },
      },
      layer: [
        // Bars grow from 1x (the baseline): right = faster, left = slower. Unchecked or wrong cells are hatched
        // by opacity so that they never look like checked ones.
        {
          mark: 'bar',
          encoding: {
            x2: { datum: 1 },
            color: { field: 'kind', type: 'nominal', title: 'runner', scale: { domain: ['stridenet', 'peer'], range: ['#2b6cb0', '#a0aec0'] } },
            opacity: { field: 'checked', type: 'ordinal', title: 'output', scale: { domain: ['checked', 'unchecked or wrong'], range: [1, 0.3] } },
          },
        },
        { mark: { type: 'rule', color: '#111' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
        { mark: { type: 'rule', color: '#333' }, encoding: { x: { datum: 1 } } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { x: { field: 'hi', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    });
    sections.push(`<section><h3>${escapeHtml(w.title)}</h3><div class="chart">${chart}</div></section>`);
  }
  const missing = report.runners.filter((r) => !r.available);
  const md = markdown(report, baseline);
  const f = report.fingerprint;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stridenet-bench ${escapeHtml(report.createdAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}section{margin:1rem 0}h3{font-size:1rem;margin:.5rem 0}pre{background:#f6f8fa;padding:1rem;overflow:auto;font-size:12px}.missing{color:#9b2c2c}</style>
</head><body>
<h1>stridenet-bench (${report.mode})</h1>
<p>${escapeHtml(f.cpuModel)}, ${f.logicalCores} logical cores, Node ${escapeHtml(f.node)}, thread settings ${report.settings.threads.join(', ')}. Bars: speed relative to <b>${escapeHtml(baseline)}</b> at the same thread setting (&gt; 1 = faster), the black rule its bootstrap 95% interval, labelled with the median time per iteration; <b>tie</b> = the interval holds 1.0; faded bars are <b>unchecked</b> (or ✗ wrong). Only ratios within one run are comparable.</p>
${conditionsSentence(report) ? `<p>${escapeHtml(conditionsSentence(report))}</p>` : ''}
${missing.length ? `<ul class="missing">${missing.map((r) => `<li><b>${escapeHtml(r.id)}</b> (${r.requestedThreads}T): not available: ${escapeHtml(r.reason ?? '')}</li>`).join('')}</ul>` : ''}
${sections.join('\n')}
<h2>Tables</h2><pre>${escapeHtml(md)}</pre>
</body></html>
`;
}
