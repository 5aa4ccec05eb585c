import { ArgumentError } from '../errors.js';
import type { Tensor } from '../engine.js';
import type { ForwardContext } from '../models/types.js';
import type { FusedActivation } from '../spec/index.js';
import { planMatMul } from '../plans/matmul.js';
import { checkActivation } from '../ops/conv.js';
import { matMul } from '../ops/matmul.js';
import { flatten } from '../ops/layout.js';
import { elu, leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import { softmax } from '../ops/softmax.js';
import { dropout } from '../ops/dropout.js';
import { sizeOf } from '../plans/common.js';
import { checkInitializer, type InitializerName } from './init.js';
import { optionKeys } from '../options.js';
import { expectRank, Layer, positiveInt, rate01, type LayerOptions, type ParamSpec, type Shape } from './layer.js';

export interface DenseOptions extends LayerOptions {
  units: number;
  useBias?: boolean;
  activation?: FusedActivation;
  kernelInit?: InitializerName;
  biasInit?: InitializerName;
}

/** Fully connected layer on [features]; weight [units, features] as torch.nn.Linear, so y = x W^T + b. */
export class Dense extends Layer {
  readonly type = 'Dense';
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: FusedActivation;
  readonly kernelInit: InitializerName;
  readonly biasInit: InitializerName;

  constructor(options: DenseOptions) {
    super(options, optionKeys<Omit<DenseOptions, 'name'>>({ units: 1, useBias: 1, activation: 1, kernelInit: 1, biasInit: 1 }));
    if (options === null || typeof options !== 'object') throw new ArgumentError('Dense', 'options', options, 'an object with units');
    this.units = positiveInt('Dense', 'units', options.units);
    this.useBias = options.useBias ?? true;
    this.activation = checkActivation('Dense', options.activation);
    this.kernelInit = checkInitializer('Dense', 'kernelInit', options.kernelInit ?? 'pytorch');
    this.biasInit = checkInitializer('Dense', 'biasInit', options.biasInit ?? (this.kernelInit === 'pytorch' ? 'pytorch' : 'zeros'));
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 1, '[features] (add a Flatten or a global pooling layer before Dense)');
    return [planMatMul([1, input![0]!], [this.units, input![0]!], false, true).n];
  }

  protected override paramSpecs([input]: readonly Shape[]): ParamSpec[] {
    const fanIn = input![0]!;
    const specs: ParamSpec[] = [{ name: 'weight', shape: [this.units, fanIn], trainable: true, init: this.kernelInit, fanIn, fanOut: this.units }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units], trainable: true, init: this.biasInit, fanIn, fanOut: this.units });
    return specs;
  }

  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return matMul(x!, this.param('weight').value, {
      transposeB: true,
      bias: this.useBias ? this.param('bias').value : undefined,
      activation: this.activation,
    });
  }

  getConfig(): Record<string, unknown> {
    return { units: this.units, useBias: this.useBias, activation: this.activation, kernelInit: this.kernelInit, biasInit: this.biasInit };
  }
}

/** [C, H, W] (or any rank) -> [C * H * W], row-major as torch.flatten(x, 1). */
export class Flatten extends Layer {
  readonly type = 'Flatten';
  constructor(options: LayerOptions = {}) {
    super(options, []);
  }
  protected computeOutputShape([input]: readonly Shape[]): Shape {
    return [sizeOf(input!)];
  }
  call([x]: readonly Tensor[]): Tensor {
    return flatten(x!);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** Element-wise layers without parameters. */
abstract class ElementwiseLayer extends Layer {
  constructor(options: LayerOptions = {}, accepted: readonly string[] = []) {
    super(options, accepted);
  }
  protected computeOutputShape([input]: readonly Shape[]): Shape {
    return input!;
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class ReLU extends ElementwiseLayer {
  readonly type = 'ReLU';
  call([x]: readonly Tensor[]): Tensor {
    return relu(x!);
  }
}

export interface AlphaOptions extends LayerOptions {
  alpha?: number;
}

function finiteAlpha(layer: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(layer, 'alpha', v, 'a finite number');
  return v;
}

export class LeakyReLU extends ElementwiseLayer {
  readonly type = 'LeakyReLU';
  readonly alpha: number;
  /** Negative slope, default 0.01 (PyTorch). */
  constructor(options: AlphaOptions = {}) {
    super(options, ['alpha']);
    this.alpha = finiteAlpha('LeakyReLU', options.alpha ?? 0.01);
  }
  call([x]: readonly Tensor[]): Tensor {
    return leakyRelu(x!, this.alpha);
  }
  override getConfig(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}

export class ELU extends ElementwiseLayer {
  readonly type = 'ELU';
  readonly alpha: number;
  constructor(options: AlphaOptions = {}) {
    super(options, ['alpha']);
    this.alpha = finiteAlpha('ELU', options.alpha ?? 1);
  }
  call([x]: readonly Tensor[]): Tensor {
    return elu(x!, this.alpha);
  }
  override getConfig(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}

export class Tanh extends ElementwiseLayer {
  readonly type = 'Tanh';
  call([x]: readonly Tensor[]): Tensor {
    return tanh(x!);
  }
}

export class Sigmoid extends ElementwiseLayer {
  readonly type = 'Sigmoid';
  call([x]: readonly Tensor[]): Tensor {
    return sigmoid(x!);
  }
}

/** Softmax over the last axis of [features]. Models return logits; use this only for probabilities. */
export class Softmax extends ElementwiseLayer {
  readonly type = 'Softmax';
  protected override computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 1, '[features]');
    return input!;
  }
  call([x]: readonly Tensor[]): Tensor {
    return softmax(x!);
  }
}

export interface DropoutOptions extends LayerOptions {
  /** Probability of zeroing a value in training. */
  rate: number;
}

/** Inverted dropout in training (mask from ctx.rng), identity in evaluation. */
export class Dropout extends ElementwiseLayer {
  readonly type = 'Dropout';
  readonly rate: number;
  constructor(options: DropoutOptions) {
    super(options, ['rate']);
    this.rate = rate01('Dropout', 'rate', options?.rate);
  }
  call([x]: readonly Tensor[], ctx: ForwardContext): Tensor {
    if (!ctx.training || this.rate === 0) return x!;
    return dropout(x!, this.rate, ctx.rng);
  }
  override getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}
