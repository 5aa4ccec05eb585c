import { ArgumentError } from '../errors.js';
import type { Tensor } from '../engine.js';
import type { ForwardContext } from '../models/types.js';
import type { FusedActivation } from '../spec/index.js';
import { planConv2d } from '../plans/conv2d.js';
import type { Padding2d, Pair } from '../plans/common.js';
import { conv1d, conv2d, padding1dTo2d, checkActivation } from '../ops/conv.js';
import { checkInitializer, type InitializerName } from './init.js';
import { optionKeys } from '../options.js';
import { expectRank, Layer, positiveInt, type LayerOptions, type ParamSpec, type Shape } from './layer.js';

export interface Conv2DOptions extends LayerOptions {
  /** Output channels. */
  filters: number;
  kernelSize: number | Pair;
  /** Default 1. */
  stride?: number | Pair;
  /** 'valid' (default), 'same' (TensorFlow rule), a number, [vertical, horizontal] or [top, bottom, left, right]. */
  padding?: Padding2d;
  dilation?: number | Pair;
  /** Default 1; groups = input channels is a depthwise convolution. */
  groups?: number;
  /** Default true. */
  useBias?: boolean;
  /** Fused after the bias: 'linear' (default) or 'relu'. */
  activation?: FusedActivation;
  /** Default 'pytorch' (kaiming_uniform_(a = sqrt(5))). */
  kernelInit?: InitializerName;
  /** Default 'pytorch' (U(+-1/sqrt(fanIn))) with a 'pytorch' kernel, 'zeros' otherwise. */
  biasInit?: InitializerName;
}

const CONV2D_LAYER_KEYS = optionKeys<Omit<Conv2DOptions, 'name'>>({
  filters: 1,
  kernelSize: 1,
  stride: 1,
  padding: 1,
  dilation: 1,
  groups: 1,
  useBias: 1,
  activation: 1,
  kernelInit: 1,
  biasInit: 1,
});

function pair(v: number | Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Fields shared by the JSON configs of Conv1D and Conv2D. */
function convConfig(o: { filters: number; useBias: boolean; activation: FusedActivation; kernelInit: InitializerName; biasInit: InitializerName; groups: number }) {
  return { filters: o.filters, groups: o.groups, useBias: o.useBias, activation: o.activation, kernelInit: o.kernelInit, biasInit: o.biasInit };
}

/** 2D convolution on [C, H, W] examples; weight OIHW [filters, C / groups, kh, kw] as in PyTorch. */
export class Conv2D extends Layer {
  readonly type = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly stride: number | Pair;
  readonly padding: Padding2d;
  readonly dilation: number | Pair;
  readonly groups: number;
  readonly useBias: boolean;
  readonly activation: FusedActivation;
  readonly kernelInit: InitializerName;
  readonly biasInit: InitializerName;

  constructor(options: Conv2DOptions) {
    super(options, CONV2D_LAYER_KEYS);
    if (options === null || typeof options !== 'object') throw new ArgumentError('Conv2D', 'options', options, 'an object with filters and kernelSize');
    this.filters = positiveInt('Conv2D', 'filters', options.filters);
    const k = options.kernelSize;
    if (!(typeof k === 'number' || (Array.isArray(k) && k.length === 2))) throw new ArgumentError('Conv2D', 'kernelSize', k, 'a positive integer or [height, width]');
    this.kernelSize = pair(k);
    this.kernelSize.forEach((v, i) => positiveInt('Conv2D', `kernelSize[${i}]`, v));
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'valid';
    this.dilation = options.dilation ?? 1;
    this.groups = options.groups ?? 1;
    this.useBias = options.useBias ?? true;
    this.activation = checkActivation('Conv2D', options.activation);
    this.kernelInit = checkInitializer('Conv2D', 'kernelInit', options.kernelInit ?? 'pytorch');
    this.biasInit = checkInitializer('Conv2D', 'biasInit', options.biasInit ?? (this.kernelInit === 'pytorch' ? 'pytorch' : 'zeros'));
  }

  private filterShape(inChannels: number): [number, number, number, number] {
    return [this.filters, Math.max(1, Math.floor(inChannels / this.groups)), this.kernelSize[0], this.kernelSize[1]];
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 3, '[channels, height, width]');
    const plan = planConv2d([1, ...input!], this.filterShape(input![0]!), {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
    return plan.outShape.slice(1);
  }

  protected override paramSpecs([input]: readonly Shape[]): ParamSpec[] {
    const shape = this.filterShape(input![0]!);
    const receptive = shape[2] * shape[3];
    const fanIn = shape[1] * receptive;
    const fanOut = shape[0] * receptive;
    const specs: ParamSpec[] = [{ name: 'weight', shape, trainable: true, init: this.kernelInit, fanIn, fanOut }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], trainable: true, init: this.biasInit, fanIn, fanOut });
    return specs;
  }

  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return conv2d(x!, this.param('weight').value, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.useBias ? this.param('bias').value : undefined,
      activation: this.activation,
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      ...convConfig(this),
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
    };
  }
}

export type Padding1d = 'valid' | 'same' | number | readonly [number, number];

export interface Conv1DOptions extends LayerOptions {
  filters: number;
  kernelSize: number;
  stride?: number;
  /** 'valid' (default), 'same', a number for both ends or [left, right]. */
  padding?: Padding1d;
  dilation?: number;
  groups?: number;
  useBias?: boolean;
  activation?: FusedActivation;
  kernelInit?: InitializerName;
  biasInit?: InitializerName;
}

/** 1D convolution on [C, L] examples; weight [filters, C / groups, k] as in PyTorch. */
export class Conv1D extends Layer {
  readonly type = 'Conv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: Padding1d;
  readonly dilation: number;
  readonly groups: number;
  readonly useBias: boolean;
  readonly activation: FusedActivation;
  readonly kernelInit: InitializerName;
  readonly biasInit: InitializerName;

  constructor(options: Conv1DOptions) {
    // Conv1DOptions has the same keys as Conv2DOptions.
    super(options, CONV2D_LAYER_KEYS);
    if (options === null || typeof options !== 'object') throw new ArgumentError('Conv1D', 'options', options, 'an object with filters and kernelSize');
    this.filters = positiveInt('Conv1D', 'filters', options.filters);
    this.kernelSize = positiveInt('Conv1D', 'kernelSize', options.kernelSize);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'valid';
    this.dilation = options.dilation ?? 1;
    this.groups = options.groups ?? 1;
    this.useBias = options.useBias ?? true;
    this.activation = checkActivation('Conv1D', options.activation);
    this.kernelInit = checkInitializer('Conv1D', 'kernelInit', options.kernelInit ?? 'pytorch');
    this.biasInit = checkInitializer('Conv1D', 'biasInit', options.biasInit ?? (this.kernelInit === 'pytorch' ? 'pytorch' : 'zeros'));
  }

  private filterShape(inChannels: number): [number, number, number] {
    return [this.filters, Math.max(1, Math.floor(inChannels / this.groups)), this.kernelSize];
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 2, '[channels, length]');
    const [o, c, k] = this.filterShape(input![0]!);
    const plan = planConv2d([1, input![0]!, 1, input![1]!], [o, c, 1, k], {
      stride: [1, this.stride],
      dilation: [1, this.dilation],
      padding: padding1dTo2d('Conv1D', this.padding),
      groups: this.groups,
    });
    return [plan.outChannels, plan.outWidth];
  }

  protected override paramSpecs([input]: readonly Shape[]): ParamSpec[] {
    const shape = this.filterShape(input![0]!);
    const fanIn = shape[1] * shape[2];
    const fanOut = shape[0] * shape[2];
    const specs: ParamSpec[] = [{ name: 'weight', shape, trainable: true, init: this.kernelInit, fanIn, fanOut }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], trainable: true, init: this.biasInit, fanIn, fanOut });
    return specs;
  }

  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return conv1d(x!, this.param('weight').value, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias: this.useBias ? this.param('bias').value : undefined,
      activation: this.activation,
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...convConfig(this), kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation };
  }
}
