import type { BenchReport, ResultRecord } from './schema.js';
import { isTie, ratioInterval, type Interval } from './stats.js';

export { html } from './report-html.js';

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

export const fmtRatio = (x: number): string => `${x.toFixed(2)}x`;

function fmtThroughput(r: ResultRecord): string {
  if (!r.throughput) return '';
  const v = r.throughput.value;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${r.throughput.unit}`;
}

function fmtDev(r: ResultRecord): string {
  if (r.correct === undefined || !r.deviation) return 'unchecked';
  const what = r.check?.kind === 'train' ? trainCheckText(r.check) : r.check?.kind === 'spot-check' ? `${r.deviation.relative.toExponential(1)} (${r.check.samples} entries, float64)` : r.deviation.relative.toExponential(1);
  return `${what}${r.correct ? '' : ' ✗'}`;
}

/** A column of the tables: one runner at one thread setting. */
export interface Column {
  runner: string;
  threads: number;
  label: string;
}

export function result(report: BenchReport, workload: string, runner: string, threads: number): ResultRecord | undefined {
  return report.results.find((x) => x.workload === workload && x.runner === runner && x.threads === threads);
}

export interface Ratio {
  /** baseline median / runner median: > 1 means faster than the baseline. */
  value: number;
  interval: Interval;
  tie: boolean;
}

/** Speed of `r` relative to the baseline on the same workload and thread setting, with its 95% interval. */
export function ratio(report: BenchReport, r: ResultRecord, baseline: string): Ratio | undefined {
  const b = result(report, r.workload, baseline, r.threads);
  if (b?.status !== 'ok' || !b.timing || !r.timing) return undefined;
  const interval = ratioInterval(b.timing.samplesMs, r.timing.samplesMs, report.settings.seed ?? 1);
  return { value: b.timing.medianMs / r.timing.medianMs, interval, tie: b !== r && isTie(interval) };
}

/** A runner's real thread count at a thread setting, and what was asked where it differs. */
export function threadsText(report: BenchReport, runner: string, threads: number): string {
  const info = report.runners.find((x) => x.id === runner && x.requestedThreads === threads);
  if (!info?.available) return 'not available';
  return info.threads === threads ? `${info.threads}T` : `${info.threads}T (asked ${threads}T)`;
}

/** Label of a runner at a thread setting: its real thread count always, and what was asked where it differs. */
export function columnLabel(report: BenchReport, runner: string, threads: number): string {
  const t = threadsText(report, runner, threads);
  return t === 'not available' ? `${runner} ${threads}T (not available)` : `${runner} ${t}`;
}

/** Why a runner has no figures at a thread setting: the reason it did not start, or that it was not asked for. */
export function unavailableReason(report: BenchReport, runner: string, threads: number): string | undefined {
  const info = report.runners.find((x) => x.id === runner && x.requestedThreads === threads);
  if (info?.available) return undefined;
  return info ? (info.reason ?? 'no reason recorded') : 'not requested in this run';
}

/** The requested runners that did not start, as columns (their cells read 'not available'). */
export function unavailableColumns(report: BenchReport): Column[] {
  return report.runners.filter((r) => !r.available).map((r) => ({ runner: r.id, threads: r.requestedThreads, label: columnLabel(report, r.id, r.requestedThreads) }));
}

/** One line per column without figures, with its reason, for under a table. */
export function unavailableNotes(report: BenchReport, cols: readonly Column[]): string[] {
  return cols.flatMap((c) => {
    const why = unavailableReason(report, c.runner, c.threads);
    return why === undefined ? [] : [`- **${c.runner}** (${c.threads}T requested): not available: ${why}`];
  });
}

/** A table cell of one workload in one column: 'not available' where the runner did not start there. */
export function columnCell(report: BenchReport, workload: string, c: Column, baseline: string): string {
  if (unavailableReason(report, c.runner, c.threads) !== undefined) return 'not available';
  return cellText(report, result(report, workload, c.runner, c.threads), baseline);
}

/** Available runners at each thread setting, thread settings side by side per runner. */
export function columns(report: BenchReport): Column[] {
  const ids = [...new Set(report.runners.filter((r) => r.available).map((r) => r.id))];
  const settings = report.settings.threads?.length ? report.settings.threads : [report.fingerprint.threads];
  const out: Column[] = [];
  for (const id of ids) {
    for (const t of settings) {
      if (report.runners.some((r) => r.id === id && r.requestedThreads === t && r.available)) out.push({ runner: id, threads: t, label: columnLabel(report, id, t) });
    }
  }
  return out;
}

/** One table cell: median, ratio with its interval ("tie" when it holds 1.0), and the check state. */
export function cellText(report: BenchReport, r: ResultRecord | undefined, baseline: string): string {
  if (!r) return '';
  if (r.status !== 'ok') return r.status === 'skipped' ? 'skip' : 'error';
  const k = ratio(report, r, baseline);
  const isBaseline = r.runner === baseline;
  const ratioText = k && !isBaseline ? ` (${fmtRatio(k.value)} [${k.interval.lo.toFixed(2)}-${k.interval.hi.toFixed(2)}]${k.tie ? ' tie' : ''})` : isBaseline ? ' (baseline)' : '';
  const mark = r.correct === false ? ' ✗' : r.correct === undefined ? ' unchecked' : '';
  return `${fmtMs(r.timing!.medianMs)}${ratioText}${mark}`;
}

/**
 * The conditions the runners ran under, as sentences: whether the peers were held to AVX2 (--peer-isa
 * avx2), the instruction set each runner's kernels ran (RunnerInfo.isa), and the CPUs the runners of a
 * thread setting were pinned to (RunnerInfo.cpus, affinity.ts); '' for a file that has none of them (made
 * before they were recorded). `ids` limits it to those runners (a README block's columns).
 */
export function conditionsSentence(report: BenchReport, ids?: readonly string[]): string {
  const isas = new Map<string, string>();
  const pinned = new Map<number, string>();
  for (const r of report.runners) {
    if (!r.available || (ids && !ids.includes(r.id))) continue;
    if (r.isa && !isas.has(r.id)) isas.set(r.id, r.isa);
    if (r.cpus) pinned.set(r.requestedThreads, r.cpus);
  }
  const held = report.settings.peerIsa === 'avx2' ? 'Peers held to AVX2 where they have a switch (`--peer-isa avx2`).' : '';
  const list = isas.size ? `Instruction sets: ${[...isas].map(([id, isa]) => `${id} ${isa}`).join('; ')}.` : '';
  const pins = [...pinned].sort((a, b) => a[0] - b[0]).map(([t, cpus]) => `${t}T on CPU ${cpus}`);
  const pin = pins.length ? `Every runner pinned to the same CPUs: ${pins.join(', ')} (the bench process and its children, \`taskset\`).` : '';
  return [held, list, pin].filter(Boolean).join(' ');
}

function runnerLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const r of report.runners) {
    const at = `${r.requestedThreads}T requested`;
    if (!r.available) {
      lines.push(`- **${r.id}** (${at}): not available: ${r.reason}`);
      continue;
    }
    const threads = `${r.threads} thread(s)${r.threadsNote ? ` (${r.threadsNote})` : ''}`;
    lines.push(`- **${r.id}** (${at}): ${r.label} ${r.version}, ${threads}${r.device ? `, ${r.device}` : ''}${r.isa ? `, ISA: ${r.isa}` : ''}${r.notes?.length ? `; ${r.notes.join('; ')}` : ''}`);
  }
  return lines;
}

function method(report: BenchReport, baseline: string): string {
  const s = report.settings;
  return [
    `Median time per iteration of ${s.reps} repetitions (each at least ${s.minTime} s, ${s.interleaved ? 'runners interleaved repetition by repetition in a seeded shuffled order' : 'runners one after another (a v1 run)'}${s.settled ? ', each repetition starting once the bench process is idle (spinning pool threads of the previous runner have stopped)' : ''}${s.repeat > 1 ? `; best of ${s.repeat} runs of the whole suite per cell, spread in the details` : ''}).`,
    `In parentheses the speed relative to **${baseline}** at the same thread setting (> 1 = faster) and its bootstrap 95% interval; **tie** = the interval holds 1.0.`,
    `Every runner's threads are in its column header (asked for in parentheses where the runner cannot use them). Checked against an untimed cpu-js reference (training: loss of each of ${s.trainCheckSteps} steps and every weight after the first, dropout off; where PyTorch ran, the weights after the first step are gated by how far each tensor's update lies beyond what flipping the ReLU decisions within 1e-4 of zero moves it in float64, relative to the tensor's largest update; the weights after the last step are shown, not gated: later steps can flip ReLUs within rounding of zero); **unchecked** = no check was possible, ✗ = deviates beyond ${s.tolerance} (relative).`,
  ].join(' ');
}

/** The results as Markdown tables. */
export function markdown(report: BenchReport, baseline = report.settings.baseline): string {
  // A runner that was asked for but did not start keeps its column, so it cannot vanish from the tables.
  const cols = [...columns(report), ...unavailableColumns(report)];
  const notes = unavailableNotes(report, unavailableColumns(report));
  const f = report.fingerprint;
  const lines: string[] = [];
  lines.push(`# stridenet-bench (${report.mode})`, '');
  lines.push(`${f.cpuModel}, ${f.logicalCores} logical cores${f.clockMHz ? ` @ ${f.clockMHz} MHz` : ''}${f.cpuFlags.length ? ` (${f.cpuFlags.join(' ')})` : ''}, ${fmtBytes(f.memoryBytes)} RAM, Node ${f.node}, thread settings ${report.settings.threads.join(', ')}${f.gpuAdapter ? `, GPU: ${f.gpuAdapter}` : ''}. ${report.createdAt}.`, '');
  lines.push(method(report, baseline), '');
  const isa = conditionsSentence(report);
  if (isa) lines.push(isa, '');
  if (notes.length) lines.push('Requested but not run (no figures):', '', ...notes, '');
  for (const suite of ['models', 'ops'] as const) {
    const ws = report.workloads.filter((w) => w.suite === suite);
    if (!ws.length) continue;
    lines.push(`## ${suite === 'models' ? 'Models' : 'Ops'}`, '');
    lines.push(`| workload | ${cols.map((c) => c.label).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
    for (const w of ws) lines.push(`| ${w.title} | ${cols.map((c) => columnCell(report, w.id, c, baseline)).join(' | ')} |`);
    lines.push('');
  }
  lines.push('## Details', '');
  lines.push('| workload | runner | threads | median [95% interval] | min | max | reps x iters | runs (medians) | first run | read-back | throughput | peak RSS | load (1 min) | check: rel. deviation | leaked | configuration |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|');
  for (const r of report.results) {
    const w = report.workloads.find((x) => x.id === r.workload)!;
    const label = threadsText(report, r.runner, r.threads);
    if (r.status !== 'ok') {
      lines.push(`| ${w.title} | ${r.runner} | ${label} | ${r.status}: ${(r.reason ?? '').replace(/\|/g, '/')} |||||||||||||`);
      continue;
    }
    const t = r.timing!;
    const runs = r.runs ? r.runs.map((x) => fmtMs(x.medianMs)).join(', ') : '1';
    const dev = `${fmtDev(r)}${r.note ? ` (${r.note.replace(/\|/g, '/')})` : ''}`;
    lines.push(
      `| ${w.title} | ${r.runner} | ${label} | ${fmtMs(t.medianMs)} [${fmtMs(t.ci95Ms[0])}-${fmtMs(t.ci95Ms[1])}] | ${fmtMs(t.minMs)} | ${fmtMs(t.maxMs)} | ${t.reps}x${t.iterations}${t.capped ? ' (capped)' : ''} | ${runs} | ${fmtMs(t.firstRunMs)} | ${r.readbackMs !== undefined ? fmtMs(r.readbackMs) : '-'} | ${fmtThroughput(r)} | ${fmtBytes(t.peakRssBytes)} | ${t.loadAverage.join(' -> ')} | ${dev} | ${r.leakedTensors ?? 'n/a'} | ${r.variant ?? ''} |`,
    );
  }
  lines.push('', '## Runners', '', ...runnerLines(report));
  lines.push('', `Packages: ${Object.entries(f.packages).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  return lines.join('\n');
}

/** Plain-text table for the terminal. */
export function terminalTable(report: BenchReport, baseline = report.settings.baseline): string {
  const cols = [...columns(report), ...unavailableColumns(report)];
  const rows = [['workload', ...cols.map((c) => c.label)], ...report.workloads.map((w) => [w.title, ...cols.map((c) => columnCell(report, w.id, c, baseline))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const missing = report.runners.filter((r) => !r.available).map((r) => `${r.id} (${r.requestedThreads}T): not available: ${r.reason}`);
  const isa = conditionsSentence(report);
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ...missing, ...(isa ? [isa] : [])].join('\n');
}

/**
 * '3 steps: loss 1e-7, weights after step 1 2e-7 (after 3: 4e-4)', then '; float64 run: ...' where the runner
 * repeated the check in float64; files from before the step-1 gate say 'weights'.
 */
function trainCheckText(c: Extract<NonNullable<ResultRecord['check']>, { kind: 'train' }>): string {
  const e = (v: number) => v.toExponential(1);
  if (c.weightsStep === undefined) return `${c.steps} steps: loss ${e(c.loss.relative)}, weights ${e(c.weights.relative)}`;
  const last = c.weightsAfterLast ? ` (after ${c.steps}: ${e(c.weightsAfterLast.relative)})` : '';
  // The float64 run of the same model code decides the mark when float32 missed (verify.ts gateTraining).
  const f64 = c.float64 ? `; float64 run: loss ${e(c.float64.loss.relative)}, weights after step ${c.weightsStep} ${e(c.float64.weights.relative)}` : '';
  // The step-1 weights against the float64 flip oracle (verify.ts FlipOracle): their excess over the flip allowance, per update.
  const what = c.weightsMeasure === 'flips' ? `step-${c.weightsStep} update beyond float64 ReLU flips` : `weights after step ${c.weightsStep}`;
  return `${c.steps} steps: loss ${e(c.loss.relative)}, ${what} ${e(c.weights.relative)}${last}${f64}`;
}
