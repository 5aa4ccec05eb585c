import { existsSync } from 'node:fs';
import {
  compile,
  createOptimizer,
  constantLr,
  cosineLr,
  evaluate,
  fit,
  predict,
  setBackend,
  stepLr,
  warmupLr,
  type AugmentFn,
  type EpochEndInfo,
  type FitResult,
  type LayerModel,
  type LrSchedule,
  type Model,
  type Optimizer,
  type TrainPlan,
  type TrainState,
} from '@stridenet/core';
import { saveWeightsFile, writeFileAtomic } from '@stridenet/core/node';
import { compose, elasticDistortion, randomCrop, randomHorizontalFlip, randomTranslate, type Augmentation, type ImageShape } from '@stridenet/datasets';
import { assertThreads, resolveBackend } from '../backends.js';
import { predictionMetadata } from '../trained.js';
import { resolveConfig, readConfigFile, type TrainConfig } from '../config.js';
import { checkDatasetName, loadData, type LoadedData } from '../data.js';
import { EXIT, UsageError } from '../errors.js';
import { buildModel, checkModelName } from '../model-spec.js';
import { createReporter, type Reporter } from '../progress.js';
import { renderReport, type EpochRecord, type Misclassified } from '../report.js';
import { RunDir } from '../run-dir.js';
import { loadForResume, RunCheckpoints, type BestRecord } from '../checkpoints.js';

export interface TrainFlags extends Partial<Record<keyof TrainConfig, unknown>> {
  config?: string;
  resume?: string;
  name?: string;
  dataDir?: string;
}

function augmentationOf(names: TrainConfig['augment'], shape: ImageShape): AugmentFn | undefined {
  if (names.length === 0) return undefined;
  const [, h] = shape;
  const parts: Augmentation[] = names.map((n) => {
    switch (n) {
      case 'flip':
        return randomHorizontalFlip();
      case 'crop':
        return randomCrop({ padding: Math.max(1, Math.round(h / 8)) });
      case 'translate':
        return randomTranslate({ maxShift: Math.max(1, Math.round(h / 14)) });
      case 'elastic':
        return elasticDistortion({ alpha: h * 1.2, sigma: h / 7 });
    }
  });
  const aug = compose(...parts);
  return (batch, ctx) => {
    aug(batch.images, batch.shape[0]!, shape, ctx.rng);
  };
}

function scheduleOf(cfg: TrainConfig, plan: TrainPlan): LrSchedule {
  const perEpoch = plan.batchesPerEpoch;
  let s: LrSchedule;
  switch (cfg.schedule) {
    case 'step':
      s = stepLr({ lr: cfg.lr, stepSize: cfg.stepEpochs * perEpoch, gamma: cfg.gamma });
      break;
    case 'cosine':
      s = cosineLr({ lr: cfg.lr, totalSteps: plan.totalSteps });
      break;
    default:
      s = constantLr(cfg.lr);
  }
  const warm = Math.round(cfg.warmupEpochs * perEpoch);
  return warm > 0 ? warmupLr({ warmupSteps: warm }, s) : s;
}

function optimizerOf(cfg: TrainConfig): Optimizer {
  if (cfg.optimizer === 'sgd') {
    return createOptimizer({ type: 'sgd', lr: cfg.lr, momentum: cfg.momentum, nesterov: cfg.momentum > 0, weightDecay: cfg.weightDecay });
  }
  return createOptimizer({ type: cfg.optimizer, lr: cfg.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: cfg.weightDecay });
}

interface TrainContext {
  cfg: TrainConfig;
  dir: RunDir;
  data: LoadedData;
  model: LayerModel;
  /** What fit trains: the model, or (--compile) a compiled model training the model's own parameters. */
  trained: Model;
  optimizer: Optimizer;
  reporter: Reporter;
  backendName: string;
  resume?: TrainState;
  best: BestRecord | null;
  /** Set when training had already ended and only the final evaluation, weights and report remain. */
  trainingDone?: 'completed' | 'early-stopping';
}

/** `stridenet train`: returns the process exit code. */
export async function trainCommand(flags: TrainFlags): Promise<number> {
  const fileConfig = flags.config ? readConfigFile(flags.config) : {};
  let cfg: TrainConfig;
  let dir: RunDir | undefined;
  let resumeFrom: string | undefined;
  let trainingDone: TrainContext['trainingDone'];
  try {
    if (flags.resume) {
      dir = RunDir.open(flags.resume);
      dir.lock();
      // --max-steps limits one invocation, not the run: a resumed run goes on unless given again.
      const { maxSteps: _limit, ...saved } = dir.readJSON<TrainConfig>('config.json');
      // Only how long to train and how to show it may change on resume; the rest is the run's.
      cfg = resolveConfig(saved, { epochs: flags.epochs, maxSteps: flags.maxSteps, json: flags.json, threads: flags.threads, backend: flags.backend, compile: flags.compile });
      resumeFrom = dir.latestCheckpoint;
      if (!existsSync(resumeFrom)) throw new UsageError(`${dir.path} has no checkpoint to resume from (${resumeFrom} is missing)`);
      const prior = dir.status();
      if (prior?.state === 'complete' && flags.epochs === undefined) {
        throw new UsageError(`${dir.path} is already complete; pass --epochs N (more than ${cfg.epochs}) to train further`);
      }
      if (prior?.state === 'interrupted' && flags.epochs === undefined) trainingDone = prior.trainingDone;
      dir.removeStaleTemps();
    } else {
      cfg = resolveConfig(fileConfig, flags);
      checkModelName(cfg.model);
      checkDatasetName(cfg.dataset);
      if (flags.name !== undefined) RunDir.checkName(cfg.out, String(flags.name));
    }
    return await prepareAndTrain(flags, cfg, dir, resumeFrom, trainingDone);
  } finally {
    dir?.release();
  }
}

async function prepareAndTrain(
  flags: TrainFlags,
  cfg: TrainConfig,
  opened: RunDir | undefined,
  resumeFrom: string | undefined,
  trainingDone: TrainContext['trainingDone'],
): Promise<number> {
  assertThreads(cfg.threads);
  const mode = cfg.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain';
  const reporter = createReporter(mode);

  const data = await loadData(cfg.dataset, { dir: flags.dataDir as string | undefined });
  const { backend, name: backendName, why } = await resolveBackend(cfg.backend, cfg.model, { threads: cfg.threads });
  await setBackend(backend);
  const model = buildModel(cfg.model, data.shape, data.numClasses, cfg.seed);
  const optimizer = optimizerOf(cfg);

  let dir: RunDir;
  let resume: TrainState | undefined;
  let best: BestRecord | null = null;
  if (opened && resumeFrom) {
    dir = opened;
    const restored = await loadForResume(resumeFrom, model, optimizer);
    resume = restored.state ?? undefined;
    best = restored.best;
    const dropped = await dir.truncateMetrics(resume?.step ?? 0);
    reporter.message(
      `resuming ${dir.path} from epoch ${(resume?.epoch ?? 0) + 1}, step ${resume?.step ?? 0}${dropped ? ` (dropped ${dropped} metrics line(s) written after that checkpoint)` : ''}`,
    );
  } else {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    dir = RunDir.create(cfg.out, (flags.name as string | undefined) ?? `${cfg.model}-${cfg.dataset.replace(/[^\w.-]+/g, '_')}-${stamp}`);
    dir.lock();
    try {
      await dir.writeJSON('config.json', { ...cfg, normalization: data.stats });
      await dir.writeJSON('model.json', model.toJSON());
    } catch (e) {
      dir.release();
      throw e;
    }
  }
  const trained = cfg.compile ? await compile(model, { mode: 'training', backend, log: (line) => process.stderr.write(`stridenet: compile: ${line}\n`) }) : model;
  const ctx: TrainContext = { cfg, dir, data, model, trained, optimizer, reporter, backendName, resume, best, trainingDone: resume ? trainingDone : undefined };
  try {
    await dir.setStatus({ state: 'running', epoch: resume?.epoch ?? 0, step: resume?.step ?? 0 });
    reporter.message(
      `training ${cfg.model} (${model.parameters().filter((p) => p.trainable).reduce((a, p) => a + p.value.size, 0).toLocaleString('en-US')} parameters) on ${data.source} (${data.train.count} train${data.test ? `, ${data.test.count} test` : ''}) with backend ${backendName} (${why}); run directory ${dir.path}`,
      { runDir: dir.path, backend: backendName },
    );
    return await runTraining(ctx);
  } finally {
    dir.release();
    model.dispose();
  }
}

/** Tracks where the run is, so that every way out leaves a final status. */
class Progress {
  epoch: number;
  step: number;
  /** 'training' until fit returns, then 'finishing' (final evaluation, weights, report). */
  phase: 'training' | 'finishing' = 'training';
  /** In the finishing phase: what ended training. */
  doneReason?: 'completed' | 'early-stopping';
  constructor(state: TrainState | undefined) {
    this.epoch = state?.epoch ?? 0;
    this.step = state?.step ?? 0;
  }
}

async function runTraining(ctx: TrainContext): Promise<number> {
  const { cfg, dir, data, model, optimizer, reporter } = ctx;
  const progress = new Progress(ctx.resume);
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (progress.phase === 'finishing' || interrupts > 1) {
      reporter.stop();
      const during = progress.phase === 'finishing' ? 'during the final evaluation' : 'before the batch finished';
      dir.setStatusSync({ state: 'interrupted', epoch: progress.epoch, step: progress.step, message: `${signal} ${during}`, trainingDone: progress.doneReason });
      process.stderr.write(`\n${signal}: exiting now; the last complete checkpoint in ${dir.path}/checkpoints is intact. Resume with: stridenet train --resume ${dir.path}\n`);
      process.exit(EXIT.interrupted);
    }
    abort.abort();
    reporter.message(`\n${signal}: finishing the current batch and writing a checkpoint (press Ctrl-C again to exit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runMeta = { model: cfg.model, dataset: cfg.dataset, backend: ctx.backendName, ...predictionMetadata(data) };
  const resumed = ctx.resume;
  const checkpoints = new RunCheckpoints(dir, model, optimizer, runMeta, ctx.best, resumed ? { epoch: resumed.epoch, batch: resumed.batch, step: resumed.step } : null);
  let refused: string | null = null;
  try {
    if (ctx.trainingDone && ctx.resume) {
      // Interrupted in the final evaluation: training ended already (early stopping must not resume it).
      progress.phase = 'finishing';
      progress.doneReason = ctx.trainingDone;
      await finishRun(ctx, ctx.resume, ctx.trainingDone);
      return EXIT.ok;
    }
    const result = await fitRun(ctx, abort.signal, checkpoints, (why) => (refused = why), progress);
    progress.epoch = result.state.epoch;
    progress.step = result.state.step;
    reporter.stop();
    const diverged = result.divergence?.message ?? (refused ? `training diverged: ${refused}` : null);
    if (!diverged && (result.stopReason === 'aborted' || (result.stopReason === 'callback' && cfg.maxSteps !== undefined))) {
      const problem = await checkpoints.saveLatest(result.state);
      if (!problem) return await stopResumably(ctx, result, checkpoints);
      return await failDiverged(ctx, progress, `training diverged: ${problem}`, checkpoints);
    }
    if (diverged) return await failDiverged(ctx, progress, diverged, checkpoints);
    progress.phase = 'finishing';
    progress.doneReason = result.stopReason === 'early-stopping' ? 'early-stopping' : 'completed';
    await finishRun(ctx, result.state, progress.doneReason);
    return EXIT.ok;
  } catch (e) {
    reporter.stop();
    await dir.setStatus({ state: 'failed', reason: 'error', epoch: progress.epoch, step: progress.step, message: (e as Error).message });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function stopResumably(ctx: TrainContext, result: FitResult, checkpoints: RunCheckpoints): Promise<number> {
  const { cfg, dir, reporter } = ctx;
  const why = result.stopReason === 'aborted' ? 'interrupted' : `stopped at step ${result.state.step} (--max-steps ${cfg.maxSteps})`;
  await dir.setStatus({ state: 'interrupted', epoch: result.state.epoch, step: result.state.step, message: why });
  reporter.message(`${why} at epoch ${result.state.epoch + 1}, step ${result.state.step}; checkpoint written to ${dir.latestCheckpoint}. Resume with: stridenet train --resume ${dir.path}`, {
    checkpoint: checkpoints.saved ? dir.latestCheckpoint : null,
    stopped: why,
  });
  return result.stopReason === 'aborted' ? EXIT.interrupted : EXIT.ok;
}

async function failDiverged(ctx: TrainContext, progress: Progress, message: string, checkpoints: RunCheckpoints): Promise<number> {
  const { dir, reporter, cfg } = ctx;
  const text = `${message}; try a lower --lr. ${checkpoints.lastGood().replace(/^./, (c) => c.toUpperCase())}`;
  await dir.setStatus({ state: 'failed', reason: 'diverged', epoch: progress.epoch, step: progress.step, message: text });
  if (cfg.json) reporter.message(text, { diverged: true, checkpoint: checkpoints.saved ? dir.latestCheckpoint : null });
  process.stderr.write(`stridenet: ${text}\n`);
  return EXIT.runtime;
}

function fitRun(ctx: TrainContext, signal: AbortSignal, checkpoints: RunCheckpoints, refuse: (why: string) => void, progress: Progress): Promise<FitResult> {
  const { cfg, dir, data, optimizer, reporter } = ctx;
  let batchStart = performance.now();
  let epochImages = 0;
  let epochStartTime = performance.now();
  let currentEpoch = -1;
  return fit(ctx.trained, data.train, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    optimizer,
    scheduleFromPlan: (plan) => scheduleOf(cfg, plan),
    labelSmoothing: cfg.labelSmoothing,
    seed: cfg.seed,
    validationSplit: cfg.validationSplit > 0 ? cfg.validationSplit : undefined,
    augment: augmentationOf(cfg.augment, data.shape),
    earlyStopping: cfg.earlyStopping ? { patience: cfg.earlyStopping } : undefined,
    signal,
    resume: ctx.resume,
    callbacks: {
      onTrainBegin: () => {
        batchStart = performance.now();
      },
      onBatchEnd: (info) => {
        if (info.epoch !== currentEpoch) {
          currentEpoch = info.epoch;
          epochImages = 0;
          epochStartTime = batchStart;
          reporter.epochStart(info.epoch + 1, cfg.epochs, info.batchesPerEpoch);
        }
        epochImages += Math.min(cfg.batchSize, data.train.count);
        const now = performance.now();
        batchStart = now;
        reporter.batch({
          epoch: info.epoch + 1,
          epochs: cfg.epochs,
          batch: info.batch + 1,
          batches: info.batchesPerEpoch,
          loss: info.epochLoss,
          accuracy: info.epochAccuracy,
          imagesPerSecond: epochImages / ((now - epochStartTime) / 1000),
        });
        progress.step = info.step;
        if (cfg.maxSteps !== undefined && info.step >= cfg.maxSteps) return 'stop';
        return undefined;
      },
      onEpochEnd: async (info: EpochEndInfo) => {
        const record: EpochRecord = {
          epoch: info.epoch + 1,
          trainLoss: info.loss,
          trainAccuracy: info.accuracy,
          valLoss: info.valLoss,
          valAccuracy: info.valAccuracy,
          learningRate: info.lr,
          seconds: info.seconds,
          imagesPerSecond: info.seconds > 0 ? epochImages / info.seconds : 0,
        };
        reporter.epochEnd({ ...record, epochs: cfg.epochs, loss: info.loss, accuracy: info.accuracy, lr: info.lr });
        // Appended before the checkpoint: a crash in between leaves a line that resume drops.
        const problem = await checkpoints.saveEpoch(info, () => dir.appendMetrics({ ...record, step: info.state.step, time: new Date().toISOString() }));
        if (problem) {
          refuse(problem);
          return 'stop';
        }
        progress.epoch = info.epoch + 1;
        await dir.setStatus({ state: 'running', epoch: info.epoch + 1, step: info.state.step });
        return undefined;
      },
    },
  });
}

async function finishRun(ctx: TrainContext, state: TrainState, ended: 'completed' | 'early-stopping'): Promise<void> {
  const { cfg, dir, data, model, reporter } = ctx;
  const epochs: EpochRecord[] = dir.metrics().map((m) => m as unknown as EpochRecord);
  let test: { loss: number; accuracy: number; confusion: number[][]; count: number } | undefined;
  const misclassified: Misclassified[] = [];
  if (data.test && data.rawTest) {
    reporter.message(`evaluating on ${data.test.count} test images...`);
    const ev = await evaluate(model, data.test, { batchSize: 256 });
    test = { loss: ev.loss, accuracy: ev.accuracy, confusion: ev.confusion.toArray(), count: ev.count };
    const pred = await predict(model, data.test, { batchSize: 256 });
    const [c, h, w] = data.rawTest.shape;
    const per = c * h * w;
    for (let i = 0; i < pred.count && misclassified.length < 48; i++) {
      const label = data.rawTest.labels[i]!;
      const p = pred.classes[i]!;
      if (p === label) continue;
      const raw = data.rawTest.images.subarray(i * per, (i + 1) * per);
      misclassified.push({ pixels: Array.from(raw, (v) => v / 255), shape: [c, h, w], label, predicted: p, probability: pred.probabilities[i * pred.numClasses + p]! });
    }
    reporter.message(`test: loss ${ev.loss.toFixed(4)}, accuracy ${(ev.accuracy * 100).toFixed(2)}% (${ev.count} images)`, {
      testLoss: ev.loss,
      testAccuracy: ev.accuracy,
    });
  }
  await saveWeightsFile(dir.weights, model, { run: JSON.stringify({ model: cfg.model, dataset: cfg.dataset, ...predictionMetadata(data) }) });
  const html = await renderReport({
    title: `${cfg.model} on ${cfg.dataset}`,
    config: cfg as unknown as Record<string, unknown>,
    epochs,
    test,
    classNames: data.classNames,
    misclassified,
    backend: ctx.backendName,
    finishedAt: new Date().toISOString(),
  });
  await writeFileAtomic(dir.file('report.html'), new TextEncoder().encode(html));
  if (test) await dir.writeJSON('test.json', { loss: test.loss, accuracy: test.accuracy, count: test.count, confusion: test.confusion });
  await dir.setStatus({
    state: 'complete',
    epoch: state.epoch,
    step: state.step,
    message: ended === 'early-stopping' ? 'stopped early (no improvement)' : undefined,
  });
  reporter.message(`done: weights ${dir.weights}, report ${dir.file('report.html')}`, { weights: dir.weights, report: dir.file('report.html'), done: true });
}
