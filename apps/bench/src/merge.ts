import { readFileSync } from 'node:fs';
import { medianInterval } from './stats.js';
import { SCHEMA_ID, SCHEMA_VERSION, validateReport, type BenchReport, type ResultRecord } from './schema.js';

const cellKey = (r: { workload: string; runner: string; threads: number }) => `${r.workload}\u0000${r.runner}\u0000${r.threads}`;

/** Picks the best ok run of one cell and records every run's median (the spread over runs). */
function mergeCell(records: ResultRecord[]): ResultRecord {
  const ok = records.filter((r) => r.status === 'ok' && r.timing);
  if (!ok.length) return records[0]!;
  const best = ok.reduce((a, b) => (b.timing!.medianMs < a.timing!.medianMs ? b : a));
  const out: ResultRecord = { ...best };
  if (records.length > 1) {
    out.runs = ok.map((r) => ({ medianMs: r.timing!.medianMs, minMs: r.timing!.minMs, loadAverage: r.timing!.loadAverage }));
    // A cell is only as checked as its worst run: one wrong output marks it wrong; one unchecked run
    // leaves the verdict to the checked ones.
    const wrong = ok.find((r) => r.correct === false);
    if (wrong) {
      out.correct = false;
      out.check = wrong.check;
      out.deviation = wrong.deviation;
    } else if (out.correct === undefined) {
      const checked = ok.find((r) => r.correct !== undefined);
      if (checked) Object.assign(out, { correct: checked.correct, check: checked.check, deviation: checked.deviation, note: undefined });
    }
  }
  return out;
}

/**
 * Merges runs of the suite (--repeat, several --threads settings, or separate invocations): runners
 * and workloads are united, and each (workload, runner, threads) cell keeps its best run.
 */
export function mergeReports(runs: readonly BenchReport[]): BenchReport {
  if (!runs.length) throw new Error('merge: no reports given but expected at least one');
  if (runs.length === 1) return runs[0]!;
  // A peer's cells from an --peer-isa avx2 run and an auto run share the runner id: best-of would mix ISAs.
  const peerIsas = [...new Set(runs.map((r) => r.settings.peerIsa ?? 'auto'))];
  if (peerIsas.length > 1) throw new Error(`merge: the runs differ in --peer-isa (${peerIsas.join(', ')}); each cell would take the best of two instruction sets`);
  const first = runs[0]!;
  const runners = new Map<string, BenchReport['runners'][number]>();
  const workloads = new Map<string, BenchReport['workloads'][number]>();
  const cells = new Map<string, ResultRecord[]>();
  for (const r of runs) {
    for (const x of r.runners) {
      const k = `${x.id}@${x.requestedThreads}`;
      const had = runners.get(k);
      // A cell's best of a pinned and an unpinned run would hide which of them it came from.
      if (had?.available && x.available && (had.cpus ?? '') !== (x.cpus ?? '')) {
        throw new Error(`merge: ${x.id} at ${x.requestedThreads} thread(s) ran pinned to CPU ${had.cpus ?? '(none)'} in one run and ${x.cpus ?? '(none)'} in another; merge runs pinned alike`);
      }
      if (!had || (!had.available && x.available)) runners.set(k, x);
    }
    for (const w of r.workloads) if (!workloads.has(w.id)) workloads.set(w.id, w);
    for (const x of r.results) {
      const k = cellKey(x);
      cells.set(k, [...(cells.get(k) ?? []), x]);
    }
  }
  const repeat = Math.max(...[...cells.values()].map((c) => c.length));
  const threads = [...new Set(runs.flatMap((r) => r.settings.threads))].sort((a, b) => a - b);
  const last = runs[runs.length - 1]!;
  return {
    schema: SCHEMA_ID,
    version: SCHEMA_VERSION,
    createdAt: last.createdAt,
    command: [...new Set(runs.map((r) => r.command))].join(' ; '),
    mode: runs.every((r) => r.mode === 'smoke') ? 'smoke' : 'full',
    settings: { ...first.settings, threads, repeat, interleaved: runs.every((r) => r.settings.interleaved), settled: runs.every((r) => r.settings.settled === true) },
    fingerprint: { ...last.fingerprint, threads: threads[threads.length - 1]!, packages: Object.assign({}, ...runs.map((r) => r.fingerprint.packages)) },
    runners: [...runners.values()].sort((a, b) => a.requestedThreads - b.requestedThreads),
    workloads: [...workloads.values()],
    results: [...cells.values()].map(mergeCell),
  };
}

/** Reads a v1 report (one thread setting, no intervals) as v2, so old results still render and compare. */
export function upgradeReport(value: unknown): unknown {
  // A v1 report: its fields are read loosely (the v2 types do not describe it).
  const r = value as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!r || typeof r !== 'object' || r.version !== 1) return value;
  const t = r.fingerprint?.threads ?? 1;
  return {
    ...r,
    schema: SCHEMA_ID,
    version: SCHEMA_VERSION,
    settings: { repeat: 1, threads: [t], seed: 1, trainCheckSteps: 1, ...r.settings, interleaved: false },
    runners: (r.runners as BenchReport['runners']).map((x) => ({ ...x, requestedThreads: x.requestedThreads ?? t })),
    results: (r.results as ResultRecord[]).map((x) => {
      const out: ResultRecord = { ...x, threads: t };
      if (x.timing) {
        const ci = medianInterval(x.timing.samplesMs);
        out.timing = { ...x.timing, ci95Ms: [ci.lo, ci.hi], loadAverage: x.timing.loadAverage ?? [Number.NaN, Number.NaN] };
      }
      // v1 compared training by the first step's loss only: not a check under v2's rules.
      const spec = (r.workloads as BenchReport['workloads']).find((w) => w.id === x.workload)?.spec;
      if (spec?.kind === 'model' && spec.mode === 'train') {
        delete out.correct;
        out.note = "unchecked: a v1 report compared only the first training step's loss";
      } else if (x.correct !== undefined) out.check = { kind: 'output' };
      return out;
    }),
  };
}

/** Reads, upgrades (v1) and validates a bench.json; errors name the file and the first problems. */
export function readReport(file: string): BenchReport {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not readable JSON: ${String((e as Error).message ?? e).split('\n')[0]}`);
  }
  const report = upgradeReport(raw);
  const problems = validateReport(report);
  if (problems.length) throw new Error(`${file} is not a stridenet-bench v2 report: ${problems.slice(0, 3).join('; ')}`);
  return report as BenchReport;
}
