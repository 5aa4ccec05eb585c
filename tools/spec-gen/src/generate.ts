import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSpec, SPEC_FILE } from './spec.js';
import { generatedFiles, kernelFiles } from './targets.js';

export interface Report {
  /** Generated files whose contents differ from what is on disk (written unless checking). */
  readonly changed: readonly string[];
  /** Hand-written kernel files that are missing or lack their export, one line each. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

/**
 * Generates every backend's ABI from the spec of the checkout at `root`. `check`: writes nothing and
 * reports drift; otherwise writes what changed. Either way it lists the kernel files still to write.
 */
export async function generate(root: string, check: boolean): Promise<Report> {
  const spec = await loadSpec(root);
  const read = (file: string): string | undefined => {
    const path = join(root, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const changed: string[] = [];
  for (const [file, text] of generatedFiles(spec, read)) {
    if (read(file) === text) continue;
    changed.push(file);
    if (!check) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
  }
  const problems: string[] = [];
  for (const k of kernelFiles(spec)) {
    const text = read(k.file);
    if (text === undefined) problems.push(`${k.kernel}: missing ${k.file} (${k.hint})`);
    else if (k.symbol && !k.symbol.test(text)) problems.push(`${k.kernel}: ${k.file} does not declare ${k.hint}`);
  }
  return { changed, problems, ok: problems.length === 0 && (!check || changed.length === 0) };
}

export function describe(report: Report, check: boolean): string {
  const lines: string[] = [];
  if (check && report.changed.length > 0) {
    lines.push(`spec-gen: ${report.changed.length} generated file(s) differ from ${SPEC_FILE}; run \`pnpm spec:gen\`:`);
    for (const f of report.changed) lines.push(`  ${f}`);
  } else if (!check) {
    lines.push(report.changed.length > 0 ? `spec-gen: wrote ${report.changed.join(', ')}` : 'spec-gen: generated files are up to date');
  }
  if (report.problems.length > 0) {
    lines.push(`spec-gen: ${report.problems.length} kernel file(s) to write (one per backend for each kernel of the spec):`);
    for (const p of report.problems) lines.push(`  ${p}`);
  }
  if (check && report.ok) lines.push('spec-gen: generated files match the spec and every kernel has its backend files');
  return lines.join('\n');
}
