import { ArgumentError, ShapeError, StridenetError } from '../errors.js';
import { engine, keep, Tensor } from '../engine.js';
import type { AnyBackend, Backend, KernelAttrs, KernelInputs } from '../spec/index.js';
import { noGrad } from '../autograd/record.js';
import { tensor } from '../ops/create.js';
import { conv2d } from '../ops/conv.js';
import { planConv2d } from '../plans/conv2d.js';
import { planMatMul } from '../plans/matmul.js';
import { planPool2d } from '../plans/pool2d.js';
import { matMul } from '../ops/matmul.js';
import { concat, reshape, slice } from '../ops/layout.js';
import { Rng } from '../random/philox.js';
import { checkOptionKeys } from '../options.js';
import { Conv2D } from '../layers/conv.js';
import { Dense } from '../layers/core.js';
import { AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool2D } from '../layers/pool.js';
import type { Layer, ModelParameter } from '../layers/layer.js';
import { LayerModel } from '../models/model.js';
import type { ForwardContext, Model } from '../models/types.js';
import { CompiledFrom } from './compiled-from.js';
import { foldBatchNorm } from './fold.js';
import { compileForTraining, type CompiledTrainingModel } from './training-model.js';
import { INPUT_VALUE, planInference, type ExecutionPlan, type FusedStep, type PlanNode, type Step } from './plan.js';
import { sampleBytes, sliceRule, sliceSize, type SampleBytes, type SliceRule } from './slicing.js';

export interface CompileOptions {
  /**
   * 'inference': batch norm folded with its running statistics, dropout removed (a CompiledModel).
   * 'training': ReLUs and residual Adds fused into the op before them, trained through the source model's
   * parameters (a CompiledTrainingModel).
   */
  mode: 'inference' | 'training';
  /** Backend the compiled model runs on (default: the active one); constants are created there. */
  backend?: AnyBackend;
  /** Where the reasons for layers left uncompiled go (default console.warn). */
  log?: (message: string) => void;
  /**
   * Fuse a residual Add (and the ReLU after it) into the Conv2D before it (default true). false keeps
   * them as steps of their own: to measure what the fusion gains, or to rule it out when debugging a backend.
   */
  fuseResidual?: boolean;
  /**
   * Budget for the activation bytes of one run: a batch whose pass would hold more runs through the plan
   * in equal batch slices that fit (one sample at least), and the slices' outputs are joined. Inference
   * is per sample, so the result is the same. Infinity: never slice. 'auto' (default): the backend's
   * BackendInfo.compiledSliceBytes, only for a pass above twice that, in slices of 8 samples at least;
   * whole batches on a backend that names none.
   */
  maxActivationBytes?: number | 'auto';
}

/** Peak backend bytes of one forward pass, compiled and eager, measured after every step. */
export interface MemoryProfile {
  /** Live backend bytes before the pass (weights and constants; a backend's pool is not counted). */
  baselineBytes: number;
  compiledPeakBytes: number;
  eagerPeakBytes: number;
  /** Peak above the baseline: what the activations of one pass cost. */
  compiledPeakActivationBytes: number;
  eagerPeakActivationBytes: number;
  /** Samples per slice of the compiled pass (the batch when it is not sliced). */
  sliceSize: number;
}

/** Weights of one fused step, created once (folded ones computed in float64 on the host). */
interface StepWeights {
  weight: Tensor;
  bias: Tensor | undefined;
}

/**
 * A model turned into an inference plan once: batch norm folded into the preceding Conv2D / Dense,
 * bias + ReLU in their epilogue (and a residual Add after a Conv2D: relu(conv + b + shortcut) in one
 * kernel), dropout removed, intermediates freed right after their last reader.
 * It is a Model (evaluate / predict take it) whose forward pass ignores ctx and never trains.
 * Folded weights are a snapshot: after the source model's weights change (training, loading), run
 * throws until you compile again, never computing with stale constants.
 */
export class CompiledModel extends CompiledFrom {
  readonly backend: Backend;
  readonly plan: ExecutionPlan;
  /** When a run slices its batch, from CompileOptions.maxActivationBytes. */
  readonly slicing: SliceRule;
  /** Per-sample activation bytes of the plan; undefined when the plan cannot run in batch slices. */
  readonly sampleBytes: SampleBytes | undefined;
  private readonly eagerPlan: ExecutionPlan;
  private readonly weights: Map<FusedStep, StepWeights>;
  /**
   * Each step's kernel call with its plan, by input batch size: the first run of a batch size goes through the
   * op (conv2d, matMul, the layer's forward pass), which checks the call; later runs call the kernel with the
   * plan made then, without planning and checking again (null: the step has no such call and runs its layer).
   */
  private readonly kernelCalls = new Map<Step, Map<number, KernelCall | null>>();
  /** Tensors this object created (folded weights, copies from another backend). */
  private readonly owned: Tensor[];
  /** Each parameter the constants were made from, with the tensor it held then. */
  private readonly sources: [ModelParameter, Tensor][];
  private disposed = false;

  /** @internal use compile() */
  constructor(
    source: LayerModel,
    backend: Backend,
    plans: { plan: ExecutionPlan; eagerPlan: ExecutionPlan; sampleBytes: SampleBytes | undefined; slicing: SliceRule },
    weights: Map<FusedStep, StepWeights>,
    owned: Tensor[],
    sources: [ModelParameter, Tensor][],
  ) {
    super(source, 'compiled');
    this.backend = backend;
    this.plan = plans.plan;
    this.eagerPlan = plans.eagerPlan;
    this.sampleBytes = plans.sampleBytes;
    this.slicing = plans.slicing;
    this.weights = weights;
    this.owned = owned;
    this.sources = sources;
  }

  /** Logits for a batch [N, ...inputShape] on the compiled model's backend. */
  run(x: Tensor): Tensor {
    const steps = this.execute(x, this.plan, true);
    // One noGrad for the whole pass (profileMemory's awaits between steps take one a step).
    return noGrad(() => {
      for (;;) {
        const r = steps.next();
        if (r.done) return r.value;
      }
    });
  }

  /** Samples per slice a run over a batch of `batch` uses (the batch itself when it is not sliced). */
  sliceSize(batch: number): number {
    return sliceSize(batch, this.slicing, this.sampleBytes);
  }

  /** Same as run(x). */
  predict(x: Tensor): Tensor {
    return this.run(x);
  }

  /** Model interface: inference only, so ctx must not ask for training. */
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    if (ctx?.training) throw new ArgumentError(`${this.name}.forward`, 'ctx.training', true, 'false (a compiled inference model does not train; use the source model)');
    return this.run(x);
  }

  /**
   * Runs x through the compiled plan and through the eager schedule (LayerModel.forward's: every layer
   * its own step, each value freed after its last reader), reading live backend bytes (bytes - pooledBytes)
   * after every step. On a backend that queues work (native, wasm threads, WebGPU) it waits for the queue
   * after each step, so buffers that queued kernels still hold are not counted as live: profile apart from
   * timing runs.
   */
  async profileMemory(x: Tensor): Promise<MemoryProfile> {
    // Live bytes: a pooling backend's bytes include its pool (BackendMemory), which only grows.
    const settle = async () => {
      await this.backend.sync?.();
      const m = this.backend.memory();
      return m.bytes - (m.pooledBytes ?? 0);
    };
    const baselineBytes = await settle();
    const measure = async (plan: ExecutionPlan) => {
      let peak = baselineBytes;
      const steps = this.execute(x, plan, plan === this.plan);
      for (;;) {
        const r = noGrad(() => steps.next());
        peak = Math.max(peak, await settle());
        if (r.done) {
          r.value.dispose();
          return peak;
        }
      }
    };
    const compiledPeakBytes = await measure(this.plan);
    const eagerPeakBytes = await measure(this.eagerPlan);
    return {
      baselineBytes,
      compiledPeakBytes,
      eagerPeakBytes,
      compiledPeakActivationBytes: compiledPeakBytes - baselineBytes,
      eagerPeakActivationBytes: eagerPeakBytes - baselineBytes,
      sliceSize: this.sliceSize(x.shape[0] ?? 0),
    };
  }

  summary(): string {
    const b = this.sampleBytes;
    const { maxBytes, above, minSamples } = this.slicing;
    const slices = maxBytes === Infinity ? 'whole batches' : `batch slices within ${maxBytes} bytes (at least ${minSamples} sample${minSamples === 1 ? '' : 's'} each) for a pass above ${above} bytes`;
    const budget = b === undefined ? 'whole batches (a layer with no compiled form may mix samples)' : `${(b.peak / 1024).toFixed(1)} KiB of activations a sample, ${slices}`;
    return this.planSummary(`Compiled for inference: ${this.plan.steps.length} steps (eager: ${this.eagerPlan.steps.length}), ${budget}`, this.plan);
  }

  /** Frees the constants this compiled model created; the source model stays usable. */
  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
    this.disposed = true;
  }

  /**
   * Runs one step per next() (the caller wraps each in noGrad), pausing after each output; returns the model
   * output. `sliced`: in batch slices when the batch's pass would exceed the activation budget.
   */
  private *execute(x: Tensor, plan: ExecutionPlan, sliced: boolean): Generator<void, Tensor> {
    const op = `${this.name}.run`;
    if (this.disposed) throw new StridenetError('DISPOSED', `${op}: the compiled model was disposed`);
    if (!(x instanceof Tensor)) throw new ArgumentError(op, 'x', x, 'a Tensor');
    const want = this.inputShape;
    if (x.rank !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
      throw new ShapeError(op, 'input shape', x.shape, `[batch, ${want.join(', ')}]`);
    }
    if (x.backend !== this.backend) throw new ArgumentError(op, 'x backend', x.backend.name, `a tensor on '${this.backend.name}', the backend it was compiled for`);
    for (const [p, t] of this.sources) {
      if (p.value !== t) throw new StridenetError('ARGUMENT', `${op}: parameter '${p.name}' changed after compile(); compile the model again`);
    }
    const batch = x.shape[0]!;
    const n = sliced ? this.sliceSize(batch) : batch;
    if (n >= batch) return yield* this.runPlan(x, plan, false);
    const parts: Tensor[] = [];
    try {
      for (let start = 0; start < batch; start += n) {
        const part = slice(x, [start, ...want.map(() => 0)], [Math.min(n, batch - start), ...want]);
        parts.push(yield* this.runPlan(part, plan, true));
      }
      const y = concat(parts, 0);
      // The parts and the joined output are alive together: the last moment a profile samples.
      yield;
      return y;
    } finally {
      parts.forEach((t) => t.dispose());
    }
  }

  /** One pass of the plan over x; `ownsInput`: x is a batch slice this run made, freed after its last reader. */
  private *runPlan(x: Tensor, plan: ExecutionPlan, ownsInput: boolean): Generator<void, Tensor> {
    // Made for the first step that runs its layer's forward pass (most steps call their kernel directly).
    let ctx: ForwardContext | undefined;
    const context = () => (ctx ??= { training: false, rng: new Rng(0) });
    const values = new Map<number, Tensor>([[INPUT_VALUE, x]]);
    const free = (v: number) => {
      // A layer that returns its input (dropout in eager) hands the same tensor on: free once.
      const t = values.get(v)!;
      values.delete(v);
      if (!ownsInput && t === x) return;
      for (const u of values.values()) if (u === t) return;
      t.dispose();
    };
    const inputLastStep = ownsInput ? this.sampleBytes?.inputLastStep : undefined;
    try {
      const { steps, freeAfter } = plan;
      for (let k = 0; k < steps.length; k++) {
        const step = steps[k]!;
        values.set(step.output, this.runStep(step, values, context));
        // The step's inputs and output are all alive here: the moment a profile samples.
        yield;
        for (const v of freeAfter[k]!) free(v);
        if (k === inputLastStep) free(INPUT_VALUE);
      }
    } catch (e) {
      for (const t of values.values()) if (ownsInput || t !== x) t.dispose();
      throw e;
    }
    const y = values.get(plan.output)!;
    if (ownsInput) x.dispose();
    return y === x ? reshape(x, x.shape) : y;
  }

  /** Runs one step: its kernel call made on an earlier run of this batch size, else the op that checks it. */
  private runStep(step: Step, values: ReadonlyMap<number, Tensor>, context: () => ForwardContext): Tensor {
    const x = values.get(step.kind === 'fused' ? step.input : step.inputs[0]!);
    const batch = x?.shape[0] ?? 0;
    let calls = this.kernelCalls.get(step);
    const call = calls?.get(batch);
    if (call) return call(values);
    const y = this.runOp(step, values, context);
    // An empty batch keeps the op's path (it makes empty outputs without a kernel).
    if (call === undefined && batch > 0) {
      if (calls === undefined) this.kernelCalls.set(step, (calls = new Map()));
      calls.set(batch, this.kernelCall(step, x!));
    }
    return y;
  }

  /** A step through its op (fused) or its layer's forward pass: what the first run of a batch size calls. */
  private runOp(step: Step, values: ReadonlyMap<number, Tensor>, context: () => ForwardContext): Tensor {
    if (step.kind === 'layer') return step.layer.call(step.inputs.map((v) => values.get(v)!), context());
    const x = values.get(step.input)!;
    const { weight, bias } = this.weights.get(step)!;
    const { layer, activation } = step;
    if (layer instanceof Conv2D) {
      const residual = step.residual === undefined ? undefined : values.get(step.residual)!;
      return conv2d(x, weight, { ...convGeometry(layer), bias, residual, activation });
    }
    return matMul(x, weight, { transposeB: true, bias, activation });
  }

  /**
   * The kernel call of a step whose op just ran on x (so its plan is valid): fused steps, and the layers whose
   * forward pass is one kernel (Conv2D, Dense, 2D pooling); null for the rest, which run their layer each time.
   * Calls match the ops' under noGrad: Conv2D and MatMul with noGrad (a backend may take Winograd for trainable filters,
   * keep a packed copy of dense weights),
   * a global pool's [N, C, 1, 1] output wrapped as [N, C].
   */
  private kernelCall(step: Step, x: Tensor): KernelCall | null {
    if (step.kind === 'fused') {
      const { weight, bias } = this.weights.get(step)!;
      const { layer, activation, input, residual } = step;
      if (layer instanceof Conv2D) {
        if (residual === undefined) return convCall(layer, x, weight.shape, activation, (v) => ({ x: v.get(input)!, filter: weight, bias }));
        return convCall(layer, x, weight.shape, activation, (v) => ({ x: v.get(input)!, filter: weight, bias, residual: v.get(residual)! }));
      }
      return matMulCall(x, weight.shape, activation, (v) => ({ a: v.get(input)!, b: weight, bias }));
    }
    const { layer } = step;
    const input = step.inputs[0]!;
    if (step.inputs.length !== 1) return null;
    // The layer's own parameters, read each run as its forward pass does (they are not compiled constants).
    const param = (name: string) => layer.param(name);
    if (layer instanceof Conv2D && layer.constructor === Conv2D) {
      const w = param('weight');
      const b = layer.useBias ? param('bias') : undefined;
      return convCall(layer, x, w.value.shape, layer.activation, (v) => ({ x: v.get(input)!, filter: w.value, bias: b?.value }));
    }
    if (layer instanceof Dense && layer.constructor === Dense && x.rank === 2) {
      const w = param('weight');
      const b = layer.useBias ? param('bias') : undefined;
      return matMulCall(x, w.value.shape, layer.activation, (v) => ({ a: v.get(input)!, b: w.value, bias: b?.value }));
    }
    if ((layer instanceof MaxPool2D && layer.constructor === MaxPool2D) || (layer instanceof AvgPool2D && layer.constructor === AvgPool2D)) {
      const max = layer instanceof MaxPool2D;
      const plan = planPool2d(x.shape, layer.poolOptions, max ? 'maxPool2d' : 'avgPool2d');
      const attrs = { plan };
      const outShapes = [plan.outShape] as const;
      return (v) => engine.runKernel(max ? 'MaxPool2D' : 'AvgPool2D', { x: v.get(input)! }, attrs, outShapes)[0];
    }
    if ((layer instanceof GlobalAvgPool2D && layer.constructor === GlobalAvgPool2D) || (layer instanceof GlobalMaxPool2D && layer.constructor === GlobalMaxPool2D)) {
      const max = layer instanceof GlobalMaxPool2D;
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const attrs = { plan: planPool2d(x.shape, { window: [h, w] }, max ? 'globalMaxPool2d' : 'globalAvgPool2d') };
      const outShapes = [Object.freeze([n, c])] as const;
      return (v) => engine.runKernel(max ? 'MaxPool2D' : 'AvgPool2D', { x: v.get(input)! }, attrs, outShapes)[0];
    }
    return null;
  }
}

/** One step's kernel call with a plan made on an earlier run: reads its inputs from the values alive. */
type KernelCall = (values: ReadonlyMap<number, Tensor>) => Tensor;

type Values = ReadonlyMap<number, Tensor>;

/** A Conv2D layer's geometry options. */
function convGeometry(layer: Conv2D) {
  return { stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups };
}

/** A Conv2D kernel call planned for x (noGrad, as under the op's noGrad); `inputs` reads its tensors each run. */
function convCall(
  layer: Conv2D,
  x: Tensor,
  filterShape: readonly number[],
  activation: KernelAttrs<'Conv2D'>['activation'],
  inputs: (v: Values) => KernelInputs<Tensor, 'Conv2D'>,
): KernelCall {
  const plan = planConv2d(x.shape, filterShape, convGeometry(layer));
  const attrs = { plan, activation, noGrad: true };
  const outShapes = [plan.outShape] as const;
  return (v) => engine.runKernel('Conv2D', inputs(v), attrs, outShapes)[0];
}

/** A MatMul kernel call (x times the transposed weight, noGrad as convCall's) planned for x; `inputs` reads its tensors each run. */
function matMulCall(
  x: Tensor,
  weightShape: readonly number[],
  activation: KernelAttrs<'MatMul'>['activation'],
  inputs: (v: Values) => KernelInputs<Tensor, 'MatMul'>,
): KernelCall {
  const plan = planMatMul(x.shape, weightShape, false, true);
  const attrs = { plan, activation, noGrad: true };
  const outShapes = [plan.outShape] as const;
  return (v) => engine.runKernel('MatMul', inputs(v), attrs, outShapes)[0];
}

/**
 * Compiles a Sequential or graph model. For inference: reads the weights once (async, so every
 * backend works), folds batch norm in float64, and plans the run. The source model must stay alive
 * while the compiled one is used (unfolded layers run with its parameters).
 */
export async function compile(model: Model, options: CompileOptions & { mode: 'inference' }): Promise<CompiledModel>;
export async function compile(model: Model, options: CompileOptions & { mode: 'training' }): Promise<CompiledTrainingModel>;
export async function compile(model: Model, options: CompileOptions): Promise<CompiledModel | CompiledTrainingModel>;
export async function compile(model: Model, options: CompileOptions): Promise<CompiledModel | CompiledTrainingModel> {
  checkOptionKeys('compile', options, ['mode', 'backend', 'log', 'fuseResidual', 'maxActivationBytes']);
  if (options?.mode !== 'inference' && options?.mode !== 'training') throw new ArgumentError('compile', 'mode', options?.mode, "'inference' or 'training'");
  if (!(model instanceof LayerModel)) throw new ArgumentError('compile', 'model', model?.name ?? model, 'a Sequential or graph model (LayerModel)');
  const nodes = nodeList(model);
  const fuseResidual = options.fuseResidual ?? true;
  if (typeof fuseResidual !== 'boolean') throw new ArgumentError('compile', 'fuseResidual', fuseResidual, 'true or false');
  if (options.mode === 'training') {
    if (options.maxActivationBytes !== undefined) throw new ArgumentError('compile', 'maxActivationBytes', options.maxActivationBytes, "unset in mode 'training' (batch slices are for inference runs)");
    return compileForTraining(model, nodes, options);
  }
  const backend = options.backend ?? engine.backend;
  const log = options.log ?? ((m: string) => console.warn(`compile: ${m}`));
  const maxActivationBytes = options.maxActivationBytes ?? 'auto';
  if (maxActivationBytes !== 'auto' && (typeof maxActivationBytes !== 'number' || !(maxActivationBytes > 0))) {
    throw new ArgumentError('compile', 'maxActivationBytes', maxActivationBytes, "a number of bytes > 0 (Infinity: never slice the batch) or 'auto'");
  }
  const plan = planInference(nodes, true, fuseResidual);
  const eagerPlan = planInference(nodes, false);
  // Inference layers compute each sample alone, so slices of a batch give the same outputs; a layer with no
  // compiled form might not, and a model that returns its input has nothing to slice.
  const bytes = plan.eager.length === 0 && plan.output !== INPUT_VALUE ? sampleBytes(plan, nodes, model.inputShape) : undefined;
  // Layers that run their own forward pass read the model's parameters: they must live on the target.
  for (const step of plan.steps) {
    if (step.kind !== 'layer') continue;
    for (const s of step.layer.specs) {
      const b = step.layer.param(s.name).value.backend;
      if (b !== backend) throw new ArgumentError('compile', `backend of ${step.layer.describe()}'s ${s.name}`, b.name, `'${backend.name}', the backend compiled for (move the model there or compile for '${b.name}')`);
    }
  }
  const owned: Tensor[] = [];
  const sources: [ModelParameter, Tensor][] = [];
  const weights = new Map<FusedStep, StepWeights>();
  try {
    for (const step of plan.steps) if (step.kind === 'fused') weights.set(step, await stepWeights(step, backend, owned, sources));
  } catch (e) {
    owned.forEach((t) => t.dispose());
    throw e;
  }
  for (const line of plan.eager) log(line);
  return new CompiledModel(model, backend, { plan, eagerPlan, sampleBytes: bytes, slicing: sliceRule(maxActivationBytes, backend.info().compiledSliceBytes) }, weights, owned, sources);
}

function nodeList(model: LayerModel): PlanNode[] {
  const listed = model.nodeInputs();
  const index = new Map(listed.map((n, i) => [n.layer.name!, i]));
  return listed.map(({ layer, inputs }) => ({ layer, inputs: inputs.map((name) => (name === 'input' ? INPUT_VALUE : index.get(name)!)) }));
}

async function stepWeights(step: FusedStep, backend: Backend, owned: Tensor[], sources: [ModelParameter, Tensor][]): Promise<StepWeights> {
  const param = (layer: Layer, local: string): Tensor => {
    const p = layer.param(local);
    const t = p.value;
    sources.push([p, t]);
    return t;
  };
  // Tensors this compiled model made never change: the backend may prepare them once (Backend.markConstant).
  const own = (t: Tensor) => {
    owned.push(keep(t));
    backend.markConstant?.(t.handle);
    return t;
  };
  const { layer, batchNorm } = step;
  const w = param(layer, 'weight');
  const b = layer.useBias ? param(layer, 'bias') : undefined;
  if (batchNorm === undefined) {
    // Only the activation is fused: the layer's own tensors serve, copied if they live elsewhere.
    const here = async (t: Tensor) => (t.backend === backend ? t : own(tensor(await t.data(), t.shape, backend)));
    return { weight: await here(w), bias: b && (await here(b)) };
  }
  const [gamma, beta, mean, variance] = ['weight', 'bias', 'runningMean', 'runningVar'].map((n) => param(batchNorm, n));
  const [wv, bv, g, bt, m, v] = await Promise.all([w, b, gamma, beta, mean, variance].map((t) => t?.data()));
  const folded = foldBatchNorm(wv!, bv, { gamma: g!, beta: bt!, mean: m!, variance: v!, epsilon: batchNorm.epsilon });
  return { weight: own(tensor(folded.weight, w.shape, backend)), bias: own(tensor(folded.bias, [folded.bias.length], backend)) };
}
