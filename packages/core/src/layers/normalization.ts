import { ArgumentError, ShapeError } from '../errors.js';
import type { Tensor } from '../engine.js';
import type { ForwardContext } from '../models/types.js';
import { batchNorm } from '../ops/normalization.js';
import type { FusedActivation } from '../spec/index.js';
import { Layer, type LayerOptions, type ParamSpec, type Shape } from './layer.js';

export interface BatchNormOptions extends LayerOptions {
  /** Weight of the new batch statistic in the running average (PyTorch convention). Default 0.1. */
  momentum?: number;
  /** Default 1e-5. */
  epsilon?: number;
}

/**
 * Batch normalisation over every axis but the channel axis, as torch.nn.BatchNorm*d: training
 * normalises with the batch mean and biased variance and updates the running mean and the
 * *unbiased* running variance with `momentum`; evaluation uses the running statistics.
 * Parameters: weight (gamma, ones), bias (beta, zeros); buffers: runningMean (zeros), runningVar (ones).
 */
abstract class BatchNormLayer extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  protected abstract readonly ranks: readonly number[];

  constructor(options: BatchNormOptions = {}) {
    super(options, ['momentum', 'epsilon']);
    const m = options.momentum ?? 0.1;
    if (typeof m !== 'number' || !(m >= 0 && m <= 1)) throw new ArgumentError('BatchNorm', 'momentum', m, 'a number in [0, 1]');
    const e = options.epsilon ?? 1e-5;
    if (typeof e !== 'number' || !(e > 0) || !Number.isFinite(e)) throw new ArgumentError('BatchNorm', 'epsilon', e, 'a positive finite number');
    this.momentum = m;
    this.epsilon = e;
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    if (!this.ranks.includes(input!.length)) {
      throw new ShapeError(this.type, 'input shape', input, `rank ${this.ranks.join(' or ')} with channels first (batch axis excluded)`);
    }
    return input!;
  }

  protected override paramSpecs([input]: readonly Shape[]): ParamSpec[] {
    const c = input![0]!;
    const spec = (name: string, trainable: boolean, init: 'ones' | 'zeros'): ParamSpec => ({ name, shape: [c], trainable, init, fanIn: c, fanOut: c });
    return [spec('weight', true, 'ones'), spec('bias', true, 'zeros'), spec('runningMean', false, 'zeros'), spec('runningVar', false, 'ones')];
  }

  call([x]: readonly Tensor[], ctx: ForwardContext): Tensor {
    if (!ctx.training) {
      const [gamma, beta, mean, variance] = ['weight', 'bias', 'runningMean', 'runningVar'].map((n) => this.param(n).value);
      return batchNorm(x!, gamma!, beta!, { training: false, mean: mean!, variance: variance!, epsilon: this.epsilon }).y;
    }
    return this.trainForward(x!);
  }

  /**
   * @internal The training pass with `residual` and `activation` in the same kernel: act(bn(x) + residual),
   * running statistics updated as call() does. Compiled training runs a residual Add and a ReLU this way.
   */
  trainForward(x: Tensor, fused: { residual?: Tensor; activation?: FusedActivation } = {}): Tensor {
    const count = x.size / x.shape[1]!;
    if (count < 2) {
      throw new ShapeError(this.describe(), 'input shape', x.shape, 'more than one value per channel in training (batch statistics need at least 2)');
    }
    // The kernel updates the running statistics in place (state, not part of the graph).
    const running = { mean: this.param('runningMean').value, variance: this.param('runningVar').value, momentum: this.momentum };
    const { y, mean, variance } = batchNorm(x, this.param('weight').value, this.param('bias').value, { training: true, epsilon: this.epsilon, running, ...fused });
    mean!.dispose();
    variance!.dispose();
    return y;
  }

  getConfig(): Record<string, unknown> {
    return { momentum: this.momentum, epsilon: this.epsilon };
  }
}

/** On [C] or [C, L] examples (torch.nn.BatchNorm1d). */
export class BatchNorm1D extends BatchNormLayer {
  readonly type = 'BatchNorm1D';
  protected readonly ranks = [1, 2];
}

/** On [C, H, W] examples (torch.nn.BatchNorm2d). */
export class BatchNorm2D extends BatchNormLayer {
  readonly type = 'BatchNorm2D';
  protected readonly ranks = [3];
}

