import { ArgumentError, ShapeError, StridenetError } from '../errors.js';
import { engine, Tensor } from '../engine.js';
import type { AnyBackend } from '../spec/index.js';
import { reshape } from '../ops/layout.js';
import { Rng } from '../random/philox.js';
import type { LayerModel } from '../models/model.js';
import type { ForwardContext } from '../models/types.js';
import { CompiledFrom } from './compiled-from.js';
import type { PlanNode } from './plan.js';
import { planTraining, runTrainingPlan, type TrainingPlan } from './plan-training.js';

/**
 * A model planned once for training: ReLUs (and residual Adds) fused into the Conv2D, Dense or batch norm
 * before them, each fused step one op on the autograd tape, intermediates released after their last reader.
 * It holds no weights of its own: parameters() are the source model's, so an optimizer stepping the
 * compiled model trains the source (and batch norm updates the source's running statistics). Works
 * anywhere a Model does (trainStep, fit, evaluate, checkpoints). forward with training false runs the
 * source model's own inference pass.
 */
export class CompiledTrainingModel extends CompiledFrom {
  readonly plan: TrainingPlan;
  private disposed = false;

  /** @internal use compile(model, { mode: 'training' }) */
  constructor(source: LayerModel, plan: TrainingPlan) {
    super(source, 'compiled for training');
    this.plan = plan;
  }

  /** Logits for a batch; in training mode through the plan, recorded on the tape like the eager pass. */
  forward(x: Tensor, ctx: ForwardContext = { training: false, rng: new Rng(0) }): Tensor {
    const op = `${this.name}.forward`;
    if (this.disposed) throw new StridenetError('DISPOSED', `${op}: the compiled model was disposed`);
    if (!ctx.training) return this.source.forward(x, ctx);
    if (!(x instanceof Tensor)) throw new ArgumentError(op, 'x', x, 'a Tensor');
    const want = this.inputShape;
    if (x.rank !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
      throw new ShapeError(op, 'input shape', x.shape, `[batch, ${want.join(', ')}]`);
    }
    const y = runTrainingPlan(this.plan, x, ctx);
    return y === x ? reshape(x, x.shape) : y;
  }

  /** Inference on the source model (batch norm with running statistics, no dropout). */
  predict(x: Tensor): Tensor {
    return this.forward(x, { training: false, rng: new Rng(0) });
  }

  summary(): string {
    return this.planSummary(`Compiled for training: ${this.plan.steps.length} steps (eager: ${this.source.layers.length})`, this.plan);
  }

  /** The compiled model owns no tensors: this only stops it running. The source model stays usable. */
  dispose(): void {
    this.disposed = true;
  }

}

/** Options of compile() that training reads. */
export interface TrainingCompileOptions {
  backend?: AnyBackend;
  log?: (message: string) => void;
  fuseResidual?: boolean;
}

/** Plans a LayerModel for training; the model's parameters must live on the backend asked for. */
export function compileForTraining(model: LayerModel, nodes: readonly PlanNode[], options: TrainingCompileOptions): CompiledTrainingModel {
  const backend = options.backend ?? engine.backend;
  for (const p of model.parameters()) {
    const b = p.value.backend;
    if (b !== backend) throw new ArgumentError('compile', `backend of parameter '${p.name}'`, b.name, `'${backend.name}', the backend compiled for (a model compiled for training trains its own parameters: move the model there)`);
  }
  const plan = planTraining(nodes, options.fuseResidual ?? true);
  const log = options.log ?? ((m: string) => console.warn(`compile: ${m}`));
  for (const line of plan.eager) log(line);
  return new CompiledTrainingModel(model, plan);
}
