// Strict type checks of a consumer's code against the installed packages, with the consumer's own
// TypeScript, under the module resolutions and libs users have.
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

interface TypeConfig {
  name: string;
  compilerOptions: Record<string, unknown>;
  files: string[];
}

const STRICT = { strict: true, noEmit: true, target: 'es2022', skipLibCheck: false };

/** `lib` unset means TypeScript's default for the target (which includes `dom`). */
export const TYPE_CONFIGS: TypeConfig[] = [
  { name: 'node16, default lib, types node', compilerOptions: { module: 'node16', moduleResolution: 'node16', types: ['node'] }, files: ['node.mts', 'browser.mts'] },
  { name: 'node16, lib es2022 (no dom), types node', compilerOptions: { module: 'node16', moduleResolution: 'node16', lib: ['es2022'], types: ['node'] }, files: ['node.mts', 'commonjs.cts'] },
  { name: 'bundler, lib es2022 + dom, types node', compilerOptions: { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: ['node'] }, files: ['node.mts', 'browser.mts'] },
  { name: 'bundler, lib es2022 + dom, no @types/node', compilerOptions: { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] }, files: ['browser.mts'] },
];

/** The README blocks the readme step wrote (TypeScript ones), relative to `dir`. */
function readmeBlockFiles(consumer: string): string[] {
  const root = join(consumer, 'readme-blocks');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.mts')).map((f) => `../readme-blocks/${d}/${f}`));
}

export function checkTypes(consumer: string, log: (l: string) => void): void {
  const dir = join(consumer, 'types');
  exec('mkdir', ['-p', dir], { cwd: consumer });
  for (const f of ['node.mts', 'browser.mts', 'commonjs.cts']) copyFileSync(join(FIXTURES, f), join(dir, f));
  // The README's TypeScript blocks are type-checked too (strict, node16), as a user pasting them would.
  const blocks = readmeBlockFiles(consumer);
  log(blocks.length ? `  README TypeScript blocks checked with the first configuration: ${blocks.length}` : '  README blocks not type-checked (the readme step did not run)');
  const tsc = join(consumer, 'node_modules', '.bin', 'tsc');
  const failures: string[] = [];
  TYPE_CONFIGS.forEach((cfg, i) => {
    const file = join(dir, `tsconfig.${i}.json`);
    const files = i === 0 ? [...cfg.files, ...blocks] : cfg.files;
    writeFileSync(file, JSON.stringify({ compilerOptions: { ...STRICT, ...cfg.compilerOptions }, files }, null, 2));
    const t0 = performance.now();
    try {
      exec(tsc, ['-p', file], { cwd: dir, timeoutMs: 180_000 });
      log(`  ok   ${cfg.name}: ${cfg.files.join(' ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failures.push(cfg.name);
      log(`  FAIL ${cfg.name}: ${cfg.files.join(' ')}\n${(e as Error).message.replace(/^/gm, '       ')}`);
    }
  });
  if (failures.length) throw new Error(`consumer types do not compile under: ${failures.join('; ')}`);
}
