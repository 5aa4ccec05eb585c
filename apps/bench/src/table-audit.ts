import { columns, result } from './report.js';
import type { BenchReport } from './schema.js';

/** Splits a Markdown table row into its cells (no escaped pipes in our tables). */
const cellsOf = (line: string): string[] => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());

/**
 * Audits the results tables of a Markdown text against the report they were made from: every runner
 * column states its threads, and every cell that shows a ratio for a result that was not checked (or
 * deviates) says so. Returns the problems (empty when the tables are honest).
 */
export function auditTables(md: string, report: BenchReport): string[] {
  const problems: string[] = [];
  const byLabel = new Map(columns(report).map((c) => [c.label, c]));
  const byTitle = new Map(report.workloads.map((w) => [w.title, w]));
  const lines = md.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^\|\s*workload\s*\|/.test(lines[i]!) || !/^\|[-:| ]+\|$/.test(lines[i + 1]!.trim())) continue;
    const header = cellsOf(lines[i]!);
    // The details table lists one result per row (runner and threads in their own columns).
    if (header[1] === 'runner') continue;
    header.slice(1).forEach((h) => {
      if (!/\b\d+T\b/.test(h) && !/not available/.test(h)) problems.push(`table at line ${i + 1}: column '${h}' does not state its threads`);
    });
    for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) {
      const cells = cellsOf(lines[j]!);
      const w = byTitle.get(cells[0]!);
      cells.slice(1).forEach((text, k) => {
        if (!/\d+(\.\d+)?x\b/.test(text)) return;
        const col = byLabel.get(header[k + 1]!);
        const r = w && col ? result(report, w.id, col.runner, col.threads) : undefined;
        if (!r) {
          problems.push(`line ${j + 1}: a ratio in '${cells[0]}' / '${header[k + 1]}' matches no result of the report`);
        } else if (r.correct === undefined && !/unchecked/.test(text)) {
          problems.push(`line ${j + 1}: '${cells[0]}' on ${header[k + 1]} shows a ratio but was not checked, and the cell does not say 'unchecked'`);
        } else if (r.correct === false && !/✗/.test(text)) {
          problems.push(`line ${j + 1}: '${cells[0]}' on ${header[k + 1]} deviates from the reference but the cell has no ✗`);
        }
      });
    }
  }
  return problems;
}
