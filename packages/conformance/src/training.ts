/**
 * Training-level agreement: the same training run (one seed, N steps) on several backends must
 * give the same loss curve within a stated relative tolerance. `classifierRun` is a ready run for
 * any zoo classifier (e.g. LeNet-5) on synthetic data drawn from the seed.
 */
import { Rng, Sgd, memory, setBackend, softmaxCrossEntropy, tensor, valueAndGrads, type Backend, type Tensor } from '@stridenet/core';

/** The part of core's Model a training run uses (core does not export its Model type yet). */
export interface TrainableModel {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  forward(x: Tensor, ctx: { training: boolean; rng: Rng }): Tensor;
  parameters(): { readonly name: string; value: Tensor; readonly trainable: boolean }[];
  dispose(): void;
}

export interface TrainingRunContext {
  seed: number;
  steps: number;
}

/** Builds everything on the active backend from `seed`, trains `steps` steps, returns the loss of each step. */
export type TrainingRun = (ctx: TrainingRunContext) => Promise<number[]>;

export interface ClassifierRunOptions {
  /** Examples per step (default 8). */
  batch?: number;
  /** SGD learning rate (default 0.05) and momentum (default 0.9). */
  lr?: number;
  momentum?: number;
}

/**
 * Trains `build(seed)` with SGD + momentum on softmax cross-entropy, on images uniform in [0, 1)
 * and labels drawn from Rng(seed + 1), so that every backend sees identical data.
 */
export function classifierRun(build: (seed: number) => TrainableModel, options: ClassifierRunOptions = {}): TrainingRun {
  const batch = options.batch ?? 8;
  return async ({ seed, steps }) => {
    const model = build(seed);
    const optimizer = new Sgd({ lr: options.lr ?? 0.05, momentum: options.momentum ?? 0.9 });
    const data = new Rng(seed + 1);
    const dropout = new Rng(seed + 2);
    const classes = model.outputShape[model.outputShape.length - 1]!;
    const pixels = model.inputShape.reduce((a, b) => a * b, 1);
    const params = model.parameters().filter((p) => p.trainable);
    const losses: number[] = [];
    try {
      for (let step = 0; step < steps; step++) {
        const onehot = new Float32Array(batch * classes);
        for (let i = 0; i < batch; i++) onehot[i * classes + data.int(classes)] = 1;
        const x = tensor(data.uniform(batch * pixels), [batch, ...model.inputShape]);
        const y = tensor(onehot, [batch, classes]);
        try {
          const { value, grads } = valueAndGrads(
            () => softmaxCrossEntropy(model.forward(x, { training: true, rng: dropout }), y),
            params.map((p) => p.value),
          );
          losses.push((await value.data())[0]!);
          optimizer.step(params, grads);
          value.dispose();
          for (const g of grads) g.dispose();
        } finally {
          x.dispose();
          y.dispose();
        }
      }
    } finally {
      optimizer.dispose();
      model.dispose();
    }
    return losses;
  };
}

export interface TrainingCheckOptions {
  /** Default 5. */
  steps?: number;
  /** Default 0. */
  seed?: number;
  /** Largest allowed |loss_b - loss_first| / |loss_first| at any step (default 1e-3). */
  rtol?: number;
}

export interface TrainingCheckReport {
  seed: number;
  steps: number;
  rtol: number;
  /** Loss per step per backend label; the first label is the one the others are compared with. */
  curves: Record<string, number[]>;
  /** Tensors each run left alive in core. */
  leaked: Record<string, number>;
  worst: { backend: string; step: number; relative: number };
  ok: boolean;
  /** Markdown table of the curves. */
  table: string;
}

export async function trainingCheck(
  backends: Record<string, () => Backend<any> | Promise<Backend<any>>>,
  run: TrainingRun,
  options: TrainingCheckOptions = {},
): Promise<TrainingCheckReport> {
  const steps = options.steps ?? 5;
  const seed = options.seed ?? 0;
  const rtol = options.rtol ?? 1e-3;
  const curves: Record<string, number[]> = {};
  const leaked: Record<string, number> = {};
  for (const [label, create] of Object.entries(backends)) {
    const backend = (await create()) as Backend;
    await setBackend(backend);
    const start = memory().tensors;
    curves[label] = await run({ seed, steps });
    leaked[label] = memory().tensors - start;
  }
  const labels = Object.keys(curves);
  const base = curves[labels[0]!]!;
  let worst = { backend: labels[0]!, step: 0, relative: 0 };
  for (const label of labels.slice(1)) {
    curves[label]!.forEach((l, step) => {
      const relative = Math.abs(l - base[step]!) / Math.abs(base[step]!);
      if (!(relative <= worst.relative)) worst = { backend: label, step, relative: Number.isNaN(relative) ? Infinity : relative };
    });
  }
  const table = [
    `| step | ${labels.join(' | ')} |`,
    `| --- | ${labels.map(() => '---').join(' | ')} |`,
    ...base.map((_, s) => `| ${s + 1} | ${labels.map((l) => curves[l]![s]!.toPrecision(7)).join(' | ')} |`),
  ].join('\n');
  const ok = worst.relative <= rtol && Object.values(leaked).every((n) => n === 0) && labels.every((l) => curves[l]!.length === steps);
  return { seed, steps, rtol, curves, leaked, worst, ok, table };
}

/** Throws a readable error (with the loss table) unless the report is ok. */
export function expectTrainingAgreement(r: TrainingCheckReport): void {
  if (r.ok) return;
  const leaks = Object.entries(r.leaked).filter(([, n]) => n !== 0);
  throw new Error(
    `training check failed: worst relative loss deviation ${r.worst.relative.toExponential(3)} (backend ${r.worst.backend}, step ${r.worst.step + 1}) vs rtol ${r.rtol}` +
      (leaks.length ? `; leaked tensors: ${leaks.map(([b, n]) => `${b} ${n}`).join(', ')}` : '') +
      `\n${r.table}`,
  );
}
