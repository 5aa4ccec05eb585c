import { Command, CommanderError, Option } from 'commander';
import { StridenetError, listBackends } from '@stridenet/core';
import { AUGMENTATIONS, DEFAULTS, MAX_THREADS, OPTIMIZERS, SCHEDULES } from './config.js';
import { BACKEND_NAMES } from './backends.js';
import { EXIT, UsageError, fileSystemErrorMessage } from './errors.js';
import type { TrainFlags } from './commands/train.js';

// Each command's module (and what it pulls in: datasets, ONNX, progress bars, chart rendering) is
// imported when that command runs, so `--help` and the light commands start quickly.
const commands = {
  train: () => import('./commands/train.js'),
  eval: () => import('./commands/eval.js'),
  predict: () => import('./commands/predict.js'),
  info: () => import('./commands/info.js'),
  backends: () => import('./commands/backends.js'),
  export: () => import('./commands/export.js'),
  import: () => import('./commands/import.js'),
};

/** --backend, with what auto does spelt out from core's backend table (so the help follows the code). */
function backendOption(commanderDefault: boolean): Option {
  const option = new Option(
    '-b, --backend <name>',
    `backend; auto${!commanderDefault && DEFAULTS.backend === 'auto' ? ' (the default)' : ''} starts the first of ${listBackends().join(', ')} that runs here (webgpu only on a hardware GPU adapter); \`stridenet backends\` shows which`,
  ).choices([...BACKEND_NAMES, 'auto']);
  return commanderDefault ? option.default('auto') : option;
}

const VERSION = '0.1.0';

function program(run: (p: Promise<number>) => void): Command {
  const p = new Command('stridenet')
    .description('Train, evaluate and run convolutional networks on any stridenet backend.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();

  p.command('train')
    .description('train a model (defaults: LeNet-5 on the bundled Fashion-MNIST subset, best available backend)')
    .option('-m, --model <name|file.json>', `zoo model or JSON architecture (default ${DEFAULTS.model})`)
    .option('-d, --dataset <name|dir>', `fashion-mnist-small, fashion-mnist, mnist, cifar10, cifar100, or a directory (default ${DEFAULTS.dataset})`)
    .option('--data-dir <dir>', 'directory of the dataset files (mnist, cifar10, cifar100, or another fashion-mnist location)')
    .addOption(backendOption(false))
    .option('-e, --epochs <n>', `epochs (default ${DEFAULTS.epochs})`)
    .option('--batch-size <n>', `batch size (default ${DEFAULTS.batchSize})`)
    .addOption(new Option('--optimizer <name>', `optimizer (default ${DEFAULTS.optimizer})`).choices([...OPTIMIZERS]))
    .option('--lr <rate>', `learning rate (default ${DEFAULTS.lr})`)
    .option('--momentum <m>', `SGD momentum (default ${DEFAULTS.momentum})`)
    .addOption(new Option('--schedule <name>', `learning-rate schedule (default ${DEFAULTS.schedule})`).choices([...SCHEDULES]))
    .option('--warmup-epochs <n>', 'linear learning-rate warm-up, in epochs')
    .option('--step-epochs <n>', 'step schedule: epochs between decays')
    .option('--gamma <g>', 'step schedule: decay factor')
    .option('--weight-decay <wd>', 'weight decay (AdamW: decoupled)')
    .option('--label-smoothing <e>', 'label smoothing for cross-entropy')
    .option('--augment <list>', `comma-separated: ${AUGMENTATIONS.join(', ')}`)
    .option('--validation-split <f>', `fraction of training data held out (default ${DEFAULTS.validationSplit})`)
    .option('--early-stopping <patience>', 'stop after this many epochs without improvement')
    .option('--max-steps <n>', 'stop after this many optimizer steps (the run stays resumable)')
    .option('-s, --seed <n>', `random seed (default ${DEFAULTS.seed})`)
    .option('-t, --threads <n>', `threads for backends that use them (1 to ${MAX_THREADS})`)
    .option('--compile', 'train through a compiled model: each ReLU and residual add fused into the batch norm or conv before it (same results as eager up to float rounding; kept on --resume)')
    .option('-o, --out <dir>', 'parent directory of run directories (default ./runs)')
    .option('--name <name>', 'run directory name (default <model>-<dataset>-<time>)')
    .option('-c, --config <file>', 'JSON or YAML file of options; flags override it')
    .option('--resume <runDir>', 'continue a run from its latest checkpoint')
    .option('--json', 'machine-readable JSON lines instead of a progress bar')
    .action((opts: TrainFlags) => run(commands.train().then((m) => m.trainCommand(opts))));

  p.command('eval')
    .description("evaluate a trained model (run directory or .safetensors) on a dataset's test split")
    .argument('<model>', 'run directory, weights/checkpoint file, .onnx file or pretrained:<model>/<dataset> (e.g. pretrained:lenet5/fashion-mnist)')
    .option('-d, --dataset <name|dir>', 'dataset (default: the one it was trained on)')
    .option('--data-dir <dir>', 'directory of the dataset files')
    .addOption(backendOption(true))
    .option('-t, --threads <n>', `threads (1 to ${MAX_THREADS})`)
    .option('--batch-size <n>', 'batch size')
    .option('--allow-non-finite', 'load weights holding NaN or infinite values (refused by default)')
    .option('--json', 'one JSON object')
    .action((model: string, opts) => run(commands.eval().then((m) => m.evalCommand(model, opts))));

  p.command('predict')
    .description('top-k classes for images (PNG/JPEG) or IDX/CIFAR records')
    .argument('<model>', 'run directory, weights/checkpoint file, .onnx file or pretrained:<model>/<dataset> (e.g. pretrained:lenet5/fashion-mnist)')
    .argument('<inputs...>', 'image files, or an IDX images file / CIFAR .bin file')
    .option('-k, --top-k <k>', 'classes to show per input', '3')
    .addOption(new Option('--format <kind>', 'input format (default: from the file name)').choices(['image', 'idx', 'cifar10', 'cifar100']))
    .option('--limit <n>', 'records to read from an IDX/CIFAR file', '16')
    .addOption(backendOption(true))
    .option('-t, --threads <n>', `threads (1 to ${MAX_THREADS})`)
    .option('--allow-non-finite', 'load weights holding NaN or infinite values (refused by default)')
    .option('--json', 'JSON lines')
    .action((model: string, inputs: string[], opts) => run(commands.predict().then((m) => m.predictCommand(model, inputs, opts))));

  p.command('export')
    .description('write a trained model (run directory, weights or .onnx) as ONNX, with its normalization and class names as metadata')
    .argument('<model>', 'run directory, weights/checkpoint file, .onnx file or pretrained:<model>/<dataset> (e.g. pretrained:lenet5/fashion-mnist)')
    .argument('<out>', 'the .onnx file to write (replaced atomically)')
    .option('--opset <n>', 'ai.onnx opset, 11 to 21 (default 13)')
    .option('--dynamic-batch', "symbolic batch axis 'batch' (default: batch fixed to 1)")
    .option('--allow-non-finite', 'load weights holding NaN or infinite values (refused by default)')
    .action((model: string, out: string, opts) => run(commands.export().then((m) => m.exportCommand(model, out, opts))));

  p.command('import')
    .description('import an .onnx model into a run directory that eval and predict use')
    .argument('<model>', 'the .onnx file')
    .option('-o, --out <dir>', 'parent directory of the new run directory (required)')
    .option('--name <name>', 'run directory name (default: the file name without .onnx)')
    .option('--classes <list>', "comma-separated class names (default: the file's metadata)")
    .option('--mean <list>', "per-channel mean in [0, 1] units, one value or one per channel (default: the file's metadata)")
    .option('--std <list>', "per-channel standard deviation, one value or one per channel (default: the file's metadata)")
    .option('-d, --dataset <name|dir>', "dataset eval uses by default (default: the file's metadata)")
    .action((model: string, opts) => run(commands.import().then((m) => m.importCommand(model, opts))));

  p.command('info')
    .description('summary table of a model (zoo name, architecture JSON, run directory or weights); no argument lists the zoo')
    .argument('[model]')
    .option('--json', 'print the architecture JSON instead')
    .option('--allow-non-finite', 'load weights holding NaN or infinite values (refused by default)')
    .action((model: string | undefined, opts) => run(commands.info().then((m) => m.infoCommand(model, opts))));

  p.command('backends')
    .description('installed backends, whether each runs here and why not, threads, capability matrix')
    .option('-t, --threads <n>', `checked (1 to ${MAX_THREADS}) and shown; the listing starts each backend with one thread`)
    .option('--json', 'JSON')
    .action((opts) => run(commands.backends().then((m) => m.backendsCommand(opts))));

  // Internal: `backends` runs a probe here in a child process to keep a native runtime's stderr out of its output.
  p.command('__probe-backend', { hidden: true })
    .argument('<name>')
    .action((name: string) => run(commands.backends().then((m) => m.probeBackendCommand(name))));

  p.command('completion')
    .description('print a bash completion script (eval "$(stridenet completion)")')
    .action(() => {
      const visible = p.commands.filter((c) => !c.name().startsWith('__'));
      const cmds = visible.map((c) => c.name()).join(' ');
      const opts = Object.fromEntries(visible.map((c) => [c.name(), c.options.map((o) => o.long).filter(Boolean).join(' ')]));
      process.stdout.write(
        `_stridenet() {\n  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]}\n  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "${cmds}" -- "$cur")); return; fi\n  case "$cmd" in\n${Object.entries(opts)
          .map(([c, o]) => `    ${c}) COMPREPLY=($(compgen -W "${o}" -- "$cur"));;`)
          .join('\n')}\n  esac\n}\ncomplete -F _stridenet stridenet\n`,
      );
      run(Promise.resolve(EXIT.ok));
    });
  return p;
}

/** Runs the CLI on argv and resolves to the exit code; prints errors itself. */
export async function main(argv: readonly string[]): Promise<number> {
  let pending: Promise<number> = Promise.resolve(EXIT.ok);
  const p = program((task) => {
    pending = task;
  });
  try {
    await p.parseAsync(argv as string[]);
    return await pending;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Commander already printed the message (with suggestions for unknown flags/commands).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`stridenet: ${e.message}\n`);
    return EXIT.usage;
  }
  const fs = fileSystemErrorMessage(e);
  if (fs !== undefined) {
    process.stderr.write(`stridenet: ${fs}\n`);
    return EXIT.filesystem;
  }
  if (e instanceof StridenetError || (e instanceof Error && e.name === 'BackendUnavailableError')) {
    process.stderr.write(`stridenet: ${e.message}\n`);
    return EXIT.runtime;
  }
  process.stderr.write(`stridenet: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.runtime;
}
