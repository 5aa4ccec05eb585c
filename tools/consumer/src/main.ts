// The consumer test (issue #13): pack every publishable package, install the tarballs with npm into an
// empty project outside the workspace, and run what a user runs. See README.md.
//   tsx src/main.ts [--keep] [--steps readme,types,native,browser,cli]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBrowser } from './browser-step.js';
import { runCli } from './cli-step.js';
import { newProject, npmInstall } from './install.js';
import { runNative } from './native-step.js';
import { pack, prebuildNative, type Packed } from './pack.js';
import { runReadmeBlocks } from './readme-step.js';
import { checkTypes } from './types-step.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What the consumer project installs next to the tarballs: the tools a TypeScript user has. */
const DEV_TOOLS = ['typescript@5.9.3', 'tsx@4.20.6', '@types/node@20.19.43'];
const STEPS = ['readme', 'types', 'native', 'browser', 'cli'] as const;
type Step = (typeof STEPS)[number];

function parseArgs(argv: string[]): { keep: boolean; steps: Step[] } {
  let keep = false;
  let steps: Step[] = [...STEPS];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--keep') keep = true;
    else if (argv[i] === '--steps') {
      const list = (argv[++i] ?? '').split(',');
      const bad = list.filter((s) => !(STEPS as readonly string[]).includes(s));
      if (bad.length) throw new Error(`--steps: unknown step '${bad.join(',')}'; expected a comma-separated list of ${STEPS.join(', ')}`);
      steps = list as Step[];
    } else throw new Error(`unknown argument '${argv[i]}'; expected --keep or --steps <list>`);
  }
  return { keep, steps };
}

const log = (line: string) => console.log(line);
const timings: [string, number][] = [];
async function timed<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  log(`-- ${name}`);
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    const s = (performance.now() - t0) / 1000;
    timings.push([name, s]);
    log(`   (${s.toFixed(1)} s)`);
  }
}

async function main(): Promise<void> {
  const { keep, steps } = parseArgs(process.argv.slice(2));
  const tarballs = mkdtempSync(join(tmpdir(), 'stridenet-tarballs-'));
  let consumer = '';
  try {
    const failed: string[] = [];
    // A missing prebuild fails the test, but the other steps still run so one run reports everything.
    try {
      await timed('prebuild native', () => prebuildNative(ROOT));
    } catch (e) {
      failed.push('prebuild native');
      log(`FAILED prebuild native: ${(e as Error).message}`);
    }
    const packed: Packed[] = await timed('pnpm pack', () => pack(ROOT, tarballs));
    log(`   ${packed.map((p) => p.name).join(', ')}`);
    for (const p of packed.filter((x) => x.problem)) {
      failed.push(`pack ${p.name}`);
      log(`FAILED pack ${p.name}: ${p.problem}`);
    }
    consumer = newProject(ROOT, 'consumer');
    log(`   consumer project: ${consumer}`);
    await timed('npm i (every tarball + typescript, tsx, @types/node)', () => npmInstall(consumer, [...packed.map((p) => p.tarball), ...DEV_TOOLS], ['--save-exact']));
    const run: Record<Step, () => unknown> = {
      readme: () => runReadmeBlocks(consumer, ROOT, packed, log),
      types: () => checkTypes(consumer, log),
      native: () => runNative(ROOT, packed, log),
      browser: () => runBrowser(consumer, log),
      cli: () => runCli(consumer, log),
    };
    for (const step of steps) {
      try {
        await timed(step, run[step]);
      } catch (e) {
        failed.push(step);
        log(`FAILED ${step}: ${(e as Error).message}`);
      }
    }
    if (failed.length) throw new Error(`consumer test failed in: ${failed.join(', ')}`);
  } finally {
    log(`\nconsumer test timings: ${timings.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(', ')}`);
    rmSync(tarballs, { recursive: true, force: true });
    if (consumer && !keep) rmSync(consumer, { recursive: true, force: true });
    else if (consumer) log(`kept ${consumer}`);
  }
}

main().catch((e: Error) => {
  console.error(`\n${e.message}`);
  process.exitCode = 1;
});
