import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { compareMarkdown } from './compare.js';
import { html, markdown, terminalTable } from './report.js';
import { recommend, recommendationFile, writeRecommendation } from './recommend.js';
import { ALL_RUNNERS, runBench, type RunOptions } from './run.js';
import { validateReport, type BenchReport } from './schema.js';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} is '${v}' but expected a positive integer`);
  return n;
};
const nonNegative = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} is '${v}' but expected a number >= 0`);
  return n;
};
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

export interface Outputs {
  json: string;
  markdown: string;
  html: string;
}

/** Writes bench.json, bench.md and bench.html into dir. */
export async function writeOutputs(report: BenchReport, dir: string, baseline?: string): Promise<Outputs> {
  mkdirSync(dir, { recursive: true });
  const out = { json: join(dir, 'bench.json'), markdown: join(dir, 'bench.md'), html: join(dir, 'bench.html') };
  writeFileSync(out.json, JSON.stringify(report, null, 1) + '\n');
  writeFileSync(out.markdown, markdown(report, baseline));
  writeFileSync(out.html, await html(report, baseline));
  return out;
}

export function program(): Command {
  const cmd = new Command('stridenet-bench').description('Benchmarks stridenet backends side by side with TF.js, ONNX Runtime and PyTorch.').showHelpAfterError();
  cmd
    .command('run')
    .description('run a suite of workloads on every available runner')
    .option('--suite <suite>', 'ops, models or all', 'all')
    .option('--smoke', 'tiny shapes (conformance cases), one repetition: proves the harness end to end', false)
    .option('--runners <list>', `comma-separated subset of ${ALL_RUNNERS.join(', ')}`, list)
    .option('--threads <n>', 'threads for multi-threaded runners', positiveInt('--threads'), os.cpus().length)
    .option('--min-time <seconds>', 'minimum time of one repetition', nonNegative('--min-time'))
    .option('--reps <n>', 'repetitions (default 5, smoke 1)', positiveInt('--reps'))
    .option('--max-cell-seconds <s>', 'stop adding repetitions after this long per workload and runner (at least 3 are kept)', nonNegative('--max-cell-seconds'))
    .option('--tolerance <rel>', 'relative deviation from cpu-js accepted as correct', nonNegative('--tolerance'), 1e-3)
    .option('--baseline <runner>', 'runner the ratios are relative to', 'cpu-js')
    .option('--gemm-size <n>', 'square GEMM size (0 skips it)', nonNegative('--gemm-size'), 4096)
    .option('--heavy-everywhere', 'run the large GEMM on scalar runners too (minutes)', false)
    .option('--filter <list>', 'only workloads whose id contains one of these', list)
    .option('--exclude <list>', "runner:substring pairs, e.g. 'native:resnet18' (that runner skips matching workloads)", list)
    .option('--out <dir>', 'write bench.json, bench.md, bench.html here (and bench.partial.json while running)')
    .option('--out-temp', 'write the outputs into a fresh temporary directory', false)
    .option('--recommend [models]', 'write the fastest correct backend per model to the CLI recommendation file')
    .option('--no-progress', 'no progress bar')
    .action(async (o) => {
      if (!['ops', 'models', 'all'].includes(o.suite)) throw new InvalidArgumentError(`--suite is '${o.suite}' but expected ops, models or all`);
      const smoke = Boolean(o.smoke);
      const opts: RunOptions = {
        suite: o.suite,
        smoke,
        runners: o.runners,
        threads: o.threads,
        minTime: o.minTime ?? (smoke ? 0 : 0.5),
        reps: o.reps ?? (smoke ? 1 : 5),
        // Smoke proves the harness, not speed: a slow first call (TF.js cpu training) is the only sample.
        maxCellSeconds: o.maxCellSeconds ?? (smoke ? 1 : undefined),
        tolerance: o.tolerance,
        baseline: o.baseline,
        gemmSize: smoke ? 0 : o.gemmSize,
        heavyEverywhere: o.heavyEverywhere,
        filter: o.filter,
        exclude: o.exclude,
        command: ['stridenet-bench', ...process.argv.slice(2)].join(' '),
      };
      const bar = o.progress && process.stderr.isTTY !== undefined ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} {cell}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      let lastLine = 0;
      opts.onProgress = (e) => {
        if (e.type === 'start') bar?.start(e.total, 0, { cell: '' });
        else if (e.type === 'cell') bar?.update(e.done, { cell: `${e.workload} on ${e.runner}: ${e.phase}` });
        else {
          bar?.update(e.done);
          // Without a TTY the bar does not redraw: one line per finished cell keeps CI logs useful.
          if (!process.stderr.isTTY && Date.now() - lastLine > 0) {
            lastLine = Date.now();
            const r = e.record;
            process.stderr.write(`[${e.done}/${e.total}] ${r.workload} ${r.runner}: ${r.status === 'ok' ? `${r.timing!.medianMs.toFixed(3)} ms` : `${r.status} (${r.reason})`}\n`);
          }
        }
      };
      const dir = o.out ? resolve(o.out) : o.outTemp ? mkdtempSync(join(os.tmpdir(), 'stridenet-bench-')) : undefined;
      if (dir) {
        mkdirSync(dir, { recursive: true });
        const partial = join(dir, 'bench.partial.json');
        opts.onPartial = (results) => writeFileSync(partial, JSON.stringify({ command: opts.command, results }, null, 1));
      }
      const report = await runBench(opts);
      if (dir) rmSync(join(dir, 'bench.partial.json'), { force: true });
      bar?.stop();
      const problems = validateReport(report);
      if (problems.length) throw new Error(`internal: the report does not match its schema: ${problems.join('; ')}`);
      process.stdout.write(terminalTable(report, o.baseline) + '\n');
      if (dir) {
        const files = await writeOutputs(report, dir, o.baseline);
        process.stdout.write(`\nwrote ${files.json}\n      ${files.markdown}\n      ${files.html}\n`);
      }
      if (o.recommend) {
        const models = typeof o.recommend === 'string' ? list(o.recommend) : undefined;
        const rec = recommend(report, models);
        if (!Object.keys(rec.models).length) throw new Error('--recommend: no model workload produced a correct stridenet result (run --suite models)');
        const file = writeRecommendation(rec, recommendationFile());
        for (const [m, r] of Object.entries(rec.models)) process.stdout.write(`recommend ${m}: ${r.backend} (${r.medianMs.toFixed(2)} ms on ${r.workload})\n`);
        process.stdout.write(`wrote ${file}\n`);
      }
      const failed = report.results.filter((r) => r.status === 'error');
      const ourFailed = failed.filter((r) => report.runners.find((x) => x.id === r.runner)?.kind === 'stridenet');
      for (const r of failed) process.stderr.write(`error: ${r.workload} on ${r.runner}: ${r.reason}\n`);
      const wrong = report.results.filter((r) => r.correct === false && report.runners.find((x) => x.id === r.runner)?.kind === 'stridenet');
      for (const r of wrong) process.stderr.write(`deviation: ${r.workload} on ${r.runner}: relative ${r.deviation?.relative}\n`);
      if (smoke && (ourFailed.length || wrong.length)) process.exitCode = 1;
    });
  cmd
    .command('report')
    .description('render bench.md and bench.html again from a bench.json (e.g. with another --baseline)')
    .argument('<json>', 'a bench.json')
    .option('--out <dir>', 'directory for bench.md and bench.html (default: next to the JSON)')
    .option('--baseline <runner>', 'runner the ratios are relative to (default: the run\'s)')
    .action(async (file: string, o: { out?: string; baseline?: string }) => {
      const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
      const problems = validateReport(report);
      if (problems.length) throw new Error(`${file} is not a stridenet-bench v1 report: ${problems.slice(0, 3).join('; ')}`);
      const dir = resolve(o.out ?? dirname(resolve(file)));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'bench.md'), markdown(report, o.baseline));
      writeFileSync(join(dir, 'bench.html'), await html(report, o.baseline));
      process.stdout.write(`wrote ${join(dir, 'bench.md')}\n      ${join(dir, 'bench.html')}\n`);
    });
  cmd
    .command('compare')
    .description('two runs (or machines) side by side with ratios')
    .argument('<a>', 'first bench.json')
    .argument('<b>', 'second bench.json')
    .option('--out <file>', 'also write the Markdown here')
    .action((a: string, b: string, o: { out?: string }) => {
      const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as BenchReport;
      const md = compareMarkdown(read(a), read(b), [a, b]);
      process.stdout.write(md);
      if (o.out) writeFileSync(o.out, md);
    });
  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // `pnpm bench -- --suite models` forwards the '--' itself; commander would read what follows as operands.
    await program().parseAsync(argv.filter((a, i) => i < 2 || a !== '--'));
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    process.stderr.write(`stridenet-bench: ${(e as Error).message ?? e}\n`);
    return 1;
  }
}
