/**
 * The capability matrix: one entry per (kernel, option, check) with its outcome, aggregated to
 * (kernel, option) rows and written as JSON and Markdown per backend.
 */
export type CapabilityStatus = 'supported' | 'skipped' | 'failed';

export interface CapabilityEntry {
  kernel: string;
  option: string;
  check: string;
  status: CapabilityStatus;
  reason?: string;
  /** Worst normalised error against the oracle measured by the check (when it compares values). */
  error?: number;
  /** The bound that error was held to. */
  tolerance?: number;
}

export interface CapabilityRow {
  kernel: string;
  option: string;
  status: CapabilityStatus;
  /** Skip reasons or failure messages (first line), deduplicated. */
  reasons: string[];
}

export interface CapabilityReport {
  backend: string;
  specVersion: number;
  generated: string;
  counts: { passed: number; skipped: number; failed: number };
  rows: CapabilityRow[];
  entries: CapabilityEntry[];
}

export class CapabilityRecorder {
  readonly entries: CapabilityEntry[] = [];

  record(entry: CapabilityEntry): void {
    this.entries.push(entry);
  }

  report(backend: string, specVersion: number): CapabilityReport {
    const rows = new Map<string, CapabilityRow>();
    const rank: Record<CapabilityStatus, number> = { supported: 0, skipped: 1, failed: 2 };
    for (const e of this.entries) {
      const key = `${e.kernel}\u0000${e.option}`;
      const row = rows.get(key) ?? { kernel: e.kernel, option: e.option, status: 'supported' as CapabilityStatus, reasons: [] };
      if (rank[e.status] > rank[row.status]) row.status = e.status;
      const reason = e.reason?.split('\n')[0];
      if (reason && !row.reasons.includes(reason)) row.reasons.push(reason);
      rows.set(key, row);
    }
    const count = (s: CapabilityStatus) => this.entries.filter((e) => e.status === s).length;
    return {
      backend,
      specVersion,
      generated: new Date().toISOString(),
      counts: { passed: count('supported'), skipped: count('skipped'), failed: count('failed') },
      rows: [...rows.values()],
      entries: this.entries,
    };
  }
}

export function statusCell(row: Pick<CapabilityRow, 'status' | 'reasons'> | undefined): string {
  if (!row) return '';
  const why = row.reasons.join('; ').replace(/\|/g, '\\|');
  if (row.status === 'supported') return 'yes';
  return row.status === 'skipped' ? `skipped: ${why}` : `**failed**: ${why}`;
}

export function capabilityMarkdown(r: CapabilityReport): string {
  const lines = [
    `# Capability matrix: ${r.backend}`,
    '',
    `Kernel spec ${r.specVersion}, ${r.generated}. Checks: ${r.counts.passed} passed, ${r.counts.skipped} skipped, ${r.counts.failed} failed.`,
    '',
    '| Kernel | Option | Status |',
    '| --- | --- | --- |',
    ...r.rows.map((row) => `| ${row.kernel} | ${row.option.replace(/\|/g, '\\|')} | ${statusCell(row)} |`),
    '',
  ];
  return lines.join('\n');
}

/** Writes <dir>/<backend>.json and .md (Node only). */
export async function writeCapability(dir: string, r: CapabilityReport): Promise<string[]> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const base = path.join(dir, r.backend.replace(/[^A-Za-z0-9._-]/g, '_'));
  await fs.writeFile(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  await fs.writeFile(`${base}.md`, capabilityMarkdown(r));
  return [`${base}.json`, `${base}.md`];
}

/**
 * One Markdown table over several backends: a summary per kernel (checks passed / skipped /
 * failed), then every (kernel, option) row with each backend's status.
 */
export function mergeCapabilityMarkdown(reports: readonly CapabilityReport[]): string {
  const backends = reports.map((r) => r.backend);
  const kernels: string[] = [];
  const options = new Map<string, string[]>();
  for (const r of reports) {
    for (const row of r.rows) {
      if (!options.has(row.kernel)) {
        kernels.push(row.kernel);
        options.set(row.kernel, []);
      }
      const list = options.get(row.kernel)!;
      if (!list.includes(row.option)) list.push(row.option);
    }
  }
  const find = (r: CapabilityReport, kernel: string, option: string) => r.rows.find((x) => x.kernel === kernel && x.option === option);
  const summary = (r: CapabilityReport, kernel: string) => {
    const rows = r.rows.filter((x) => x.kernel === kernel);
    if (rows.length === 0) return 'not run';
    const n = (s: CapabilityStatus) => rows.filter((x) => x.status === s).length;
    const parts = [`${n('supported')}/${rows.length}`];
    if (n('skipped')) parts.push(`${n('skipped')} skipped`);
    if (n('failed')) parts.push(`**${n('failed')} failed**`);
    return parts.join(', ');
  };
  const head = (first: string[]) => [`| ${[...first, ...backends].join(' | ')} |`, `| ${[...first, ...backends].map(() => '---').join(' | ')} |`];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '## Backend capability matrix',
    '',
    `Generated by \`@stridenet/conformance\` (${reports.map((r) => `${r.backend}: ${r.counts.passed} passed, ${r.counts.skipped} skipped, ${r.counts.failed} failed`).join('; ')}).`,
    'Each cell counts the cases (options) of the kernel that pass every check on that backend.',
    '',
    ...head(['Kernel']),
    ...kernels.map((k) => `| ${k} | ${reports.map((r) => summary(r, k)).join(' | ')} |`),
    '',
    '<details><summary>Every kernel and option</summary>',
    '',
    ...head(['Kernel', 'Option']),
    ...kernels.flatMap((k) => options.get(k)!.map((o) => `| ${k} | ${esc(o)} | ${reports.map((r) => statusCell(find(r, k, o)) || 'not run').join(' | ')} |`)),
    '',
    '</details>',
    '',
  ].join('\n');
}
