import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchReport } from './schema.js';

/** Same location the CLI reads (apps/cli/src/backends.ts recommendationFile()). */
export function recommendationFile(): string {
  return process.env.STRIDENET_RECOMMENDATION ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'stridenet', 'recommendation.json');
}

export interface Recommendation {
  backend?: string;
  models: Record<string, { backend: string; medianMs: number; workload: string; deviation: number | null; alternatives: { backend: string; medianMs: number }[] }>;
  createdAt?: string;
  machine?: string;
}

/**
 * For each model, the stridenet backend with the lowest median among those whose output is within
 * tolerance of cpu-js. Inference workloads decide; training is used when a model has no inference run.
 * Peers never appear: the CLI can only run stridenet backends.
 */
export function recommend(report: BenchReport, models?: readonly string[]): Recommendation {
  const ours = new Set(report.runners.filter((r) => r.kind === 'stridenet' && r.available).map((r) => r.id));
  const out: Recommendation = { models: {}, createdAt: report.createdAt, machine: `${report.fingerprint.cpuModel} x${report.fingerprint.logicalCores}` };
  const byModel = new Map<string, { workload: string; mode: string }[]>();
  for (const w of report.workloads) {
    if (w.spec.kind !== 'model') continue;
    if (models?.length && !models.includes(w.spec.model)) continue;
    const list = byModel.get(w.spec.model) ?? [];
    list.push({ workload: w.id, mode: w.spec.mode });
    byModel.set(w.spec.model, list);
  }
  const wins = new Map<string, number>();
  // With several thread settings, the one a user runs by default (all cores: the largest) decides.
  const threads = Math.max(...report.settings.threads);
  for (const [model, ws] of byModel) {
    const pick = ws.find((w) => w.mode === 'infer') ?? ws[0]!;
    const candidates = report.results
      .filter((r) => r.workload === pick.workload && r.threads === threads && ours.has(r.runner) && r.status === 'ok' && (r.runner === 'cpu-js' || r.correct === true))
      .map((r) => ({ backend: r.runner, medianMs: r.timing!.medianMs, deviation: r.deviation?.relative ?? null }))
      .sort((a, b) => a.medianMs - b.medianMs);
    if (!candidates.length) continue;
    const best = candidates[0]!;
    out.models[model] = { backend: best.backend, medianMs: best.medianMs, workload: pick.workload, deviation: best.deviation, alternatives: candidates.slice(1).map(({ backend, medianMs }) => ({ backend, medianMs })) };
    wins.set(best.backend, (wins.get(best.backend) ?? 0) + 1);
  }
  const top = [...wins.entries()].sort((a, b) => b[1] - a[1])[0];
  if (top) out.backend = top[0];
  return out;
}

/** Merges into an existing file (other models' choices stay) and writes atomically. */
export function writeRecommendation(rec: Recommendation, file = recommendationFile()): string {
  let previous: Recommendation = { models: {} };
  try {
    previous = JSON.parse(readFileSync(file, 'utf8')) as Recommendation;
  } catch {
    // No usable file yet.
  }
  const merged: Recommendation = { ...previous, ...rec, backend: rec.backend ?? previous.backend, models: { ...(previous.models ?? {}), ...rec.models } };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(merged, null, 2) + '\n');
  renameSync(tmp, file);
  return file;
}
