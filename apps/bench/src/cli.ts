import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { compareMarkdown } from './compare.js';
import { html, markdown, terminalTable } from './report.js';
import { recommend, recommendationFile, writeRecommendation } from './recommend.js';
import { ALL_RUNNERS, runBench, type RunOptions } from './run.js';
import { mergeReports, readReport } from './merge.js';
import { readmeProblems, regenerate } from './readme.js';
import { validateReport, type BenchReport } from './schema.js';
import { PEER_ISAS, parsePeerIsa } from './peer-isa.js';

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
const intList = (name: string) => (v: string) => list(v).map(positiveInt(name));
const collect = (v: string, prev: string[] = []) => [...prev, v];
const peerIsa = (v: string) => {
  try {
    return parsePeerIsa(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

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
    .option('--runners <list>', `comma-separated subset of ${ALL_RUNNERS.join(', ')} (native-<isa> forces that native path; default: all but those)`, list)
    .option('--threads <list>', 'thread settings, e.g. 1,2: each runs the suite and the tables put them side by side', intList('--threads'), [os.cpus().length])
    .option('--min-time <seconds>', 'minimum time of one repetition (iterations are calibrated until a batch lasts this long)', nonNegative('--min-time'))
    .option('--reps <n>', 'repetitions per cell, runners interleaved (default 7, smoke 1)', positiveInt('--reps'))
    .option('--repeat <n>', 'run the whole suite N times; each cell reports its best run and the spread', positiveInt('--repeat'), 1)
    .option('--seed <n>', 'seed of the runner order per repetition', positiveInt('--seed'), 1)
    .option('--train-check-steps <n>', 'training steps compared against the reference (loss and every weight)', positiveInt('--train-check-steps'), 3)
    .option('--max-cell-seconds <s>', 'stop adding repetitions after this long per workload and runner (at least 7 are kept; a first call longer than this is the only sample)', nonNegative('--max-cell-seconds'))
    .option('--tolerance <rel>', 'relative deviation from the cpu-js reference accepted as correct', nonNegative('--tolerance'), 1e-3)
    .option('--baseline <runner>', 'runner the ratios are relative to', 'cpu-js')
    .option('--gemm-size <n>', 'square GEMM size (0 skips it)', nonNegative('--gemm-size'), 4096)
    .option('--heavy-everywhere', 'run the large GEMM on scalar runners too (minutes)', false)
    .option('--peer-isa <isa>', `${PEER_ISAS.join(' or ')}: avx2 holds PyTorch (oneDNN, ATen, BLAS) and ONNX Runtime (a CPUID mask in its child process, Linux x64 with cpuid_fault and a C compiler) to AVX2, for ratios as on an AVX2-only machine; each runner's ISA is reported`, peerIsa, 'auto')
    .option('--filter <list>', 'only workloads whose id contains one of these', list)
    .option('--exclude <list>', "runner:substring pairs, e.g. 'native:resnet18' (that runner skips matching workloads)", list)
    .option('--out <dir>', 'write bench.json, bench.md, bench.html here (and bench.partial.json while running)')
    .option('--out-temp', 'write the outputs into a fresh temporary directory', false)
    .option('--recommend [models]', 'write the fastest correct backend per model to the CLI recommendation file')
    .option('--no-pin', 'do not pin the runners of a thread setting below the CPU count to the same CPUs (by default 1-thread cells on a 2-CPU machine all run on the first allowed CPU: taskset, Linux)')
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
        reps: o.reps ?? (smoke ? 1 : 7),
        repeat: o.repeat,
        seed: o.seed,
        // Smoke proves the check's code path: one step already compares gradients and the update.
        trainCheckSteps: smoke && o.trainCheckSteps === 3 ? 1 : o.trainCheckSteps,
        // Smoke proves the harness, not speed: a slow first call (TF.js cpu training) is the only sample.
        maxCellSeconds: o.maxCellSeconds ?? (smoke ? 1 : undefined),
        tolerance: o.tolerance,
        baseline: o.baseline,
        gemmSize: smoke ? 0 : o.gemmSize,
        heavyEverywhere: o.heavyEverywhere,
        filter: o.filter,
        exclude: o.exclude,
        peerIsa: o.peerIsa,
        pin: o.pin,
        command: ['stridenet-bench', ...process.argv.slice(2)].join(' '),
      };
      const bar = o.progress && process.stderr.isTTY !== undefined ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} {cell}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      opts.onProgress = (e) => {
        if (e.type === 'start') bar?.start(e.total, 0, { cell: '' });
        else if (e.type === 'cell') bar?.update(e.done, { cell: `${e.workload} on ${e.runner}: ${e.phase}` });
        else {
          bar?.update(e.done);
          // Without a TTY the bar does not redraw: one line per finished cell keeps CI logs useful.
          if (!process.stderr.isTTY) {
            const r = e.record;
            process.stderr.write(`[${e.done}/${e.total}] ${r.workload} ${r.runner} ${r.threads}T: ${r.status === 'ok' ? `${r.timing!.medianMs.toFixed(3)} ms${r.correct === undefined ? ' unchecked' : r.correct ? '' : ' deviates'}` : `${r.status} (${r.reason})`}\n`);
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
      const report = readReport(file);
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
      const md = compareMarkdown(readReport(a), readReport(b), [a, b]);
      process.stdout.write(md);
      if (o.out) writeFileSync(o.out, md);
    });
  cmd
    .command('merge')
    .description('merge bench.json files (e.g. a --threads 1 and a --threads 2 run, or repeats): each cell keeps its best run')
    .argument('<jsons...>', 'bench.json files')
    .requiredOption('--out <dir>', 'directory for the merged bench.json, bench.md and bench.html')
    .option('--baseline <runner>', "runner the ratios are relative to (default: the first run's)")
    .action(async (files: string[], o: { out: string; baseline?: string }) => {
      const merged = mergeReports(files.map(readReport));
      const out = await writeOutputs(merged, resolve(o.out), o.baseline);
      process.stdout.write(`wrote ${out.json}\n      ${out.markdown}\n      ${out.html}\n`);
    });
  cmd
    .command('readme')
    .description('regenerate the README blocks marked <!-- stridenet-bench:begin ... --> from bench.json files, or check them')
    .argument('<files...>', 'Markdown files (README.md, apps/bench/README.md)')
    .requiredOption('--json <[name=]path>', 'a bench.json; blocks pick one with source=name (default: the first); repeatable', collect)
    .option('--check', 'change nothing; exit 1 when a block is stale, a table hides an unchecked cell or a thread count, or a ratio is written by hand outside a block', false)
    .action((files: string[], o: { json: string[]; check: boolean }) => {
      const reports: Record<string, BenchReport> = {};
      for (const j of o.json) {
        const at = j.indexOf('=');
        reports[at > 0 ? j.slice(0, at) : j] = readReport(at > 0 ? j.slice(at + 1) : j);
      }
      const problems: string[] = [];
      for (const f of files) {
        const text = readFileSync(f, 'utf8');
        if (o.check) problems.push(...readmeProblems(f, text, reports));
        else {
          const next = regenerate(text, reports);
          if (next !== text) writeFileSync(f, next);
          process.stdout.write(`${next !== text ? 'updated' : 'unchanged'} ${f}\n`);
        }
      }
      for (const p of problems) process.stderr.write(`${p}\n`);
      if (problems.length) process.exitCode = 1;
      else if (o.check) process.stdout.write(`ok: ${files.join(', ')} match ${o.json.join(', ')}\n`);
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
