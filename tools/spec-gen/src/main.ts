// pnpm spec:gen   writes every backend's generated ABI files from packages/core/src/spec/.
// pnpm spec:check writes nothing; fails when a generated file is stale or a kernel file is missing.
// Options: --check, --root <checkout> (default: this repository).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, generate } from './generate.js';

const args = process.argv.slice(2);
const check = args.includes('--check');
const rootAt = args.indexOf('--root');
const unknown = args.filter((a, i) => a !== '--check' && a !== '--root' && !(rootAt >= 0 && i === rootAt + 1));
if (unknown.length > 0 || (rootAt >= 0 && args[rootAt + 1] === undefined)) {
  console.error(`spec-gen: unknown or incomplete options ${JSON.stringify(args)}; expected [--check] [--root <checkout>]`);
  process.exit(2);
}
const root = rootAt >= 0 ? resolve(args[rootAt + 1]!) : resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const report = await generate(root, check);
const text = describe(report, check);
if (report.ok) console.log(text);
else console.error(text);
process.exit(report.ok ? 0 : 1);
