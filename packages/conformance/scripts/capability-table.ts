/**
 * Merges every backend's capability JSON into one Markdown table.
 *
 *   pnpm --filter @stridenet/conformance capability-table [dir] [--out file.md]
 *
 * dir defaults to $STRIDENET_CAPABILITY_DIR, else packages/conformance/capability.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeCapabilityMarkdown, type CapabilityReport } from '../src/harness/capability.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : undefined;
const positional = args.filter((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1));
const dir = positional[0] ?? process.env.STRIDENET_CAPABILITY_DIR ?? fileURLToPath(new URL('../capability/', import.meta.url));

const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
if (files.length === 0) {
  console.error(`capability-table: no <backend>.json files in ${dir}; run a backend's conformance tests first`);
  process.exit(1);
}
const reports = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as CapabilityReport));
const md = mergeCapabilityMarkdown(reports);
if (out) {
  await writeFile(out, md);
  console.error(`capability-table: ${reports.length} backends -> ${out}`);
} else {
  process.stdout.write(md);
}
