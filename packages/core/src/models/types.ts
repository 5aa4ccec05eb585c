import type { Tensor } from '../engine.js';
import type { Rng } from '../random/philox.js';

/**
 * A named tensor owned by a model. Trainable parameters get gradients; the rest are buffers
 * (batch-norm running statistics) that are saved and loaded but not optimised.
 * `value` is replaced (old one disposed) when weights are loaded or buffers updated.
 */
export interface Parameter {
  /** Unique dotted path, stable across runs: e.g. 'conv1.weight', 'block2.bn.runningMean'. */
  readonly name: string;
  value: Tensor;
  readonly trainable: boolean;
}

export interface ForwardContext {
  /** Training mode: dropout active, batch norm uses and updates batch statistics. */
  training: boolean;
  /** Source of dropout masks (and anything else random in a forward pass). */
  rng: Rng;
  /**
   * Default true: a pass no gradient tape records runs each Conv2D / Dense with the BatchNorm, residual Add
   * and ReLU after it as one kernel; a training pass runs each batch norm (or linear Conv2D / Dense) with the
   * residual Add and ReLU after it as one op (compile's training plan). false: every layer runs its own kernels.
   */
  fuse?: boolean;
}

/** JSON description of an architecture; `type` names a registered layer or model class. */
export interface LayerConfig {
  type: string;
  name?: string;
  [option: string]: unknown;
}

/** What the training loop, weights I/O and the CLI need from a model. */
export interface Model {
  readonly name: string;
  /** Shape of one example, without the batch axis: e.g. [1, 28, 28]. */
  readonly inputShape: readonly number[];
  /** Number of classes (output width) for classifiers. */
  readonly outputShape: readonly number[];
  /** Logits for a batch [N, ...inputShape]. */
  forward(x: Tensor, ctx: ForwardContext): Tensor;
  /** Every parameter and buffer in a stable order. */
  parameters(): Parameter[];
  /** Architecture as JSON (reloadable with modelFromJSON). */
  toJSON(): LayerConfig;
  /** Keras-like table: layer, output shape, parameter count. */
  summary(): string;
  dispose(): void;
}
