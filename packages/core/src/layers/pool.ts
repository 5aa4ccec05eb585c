import { ArgumentError } from '../errors.js';
import type { Tensor } from '../engine.js';
import type { ForwardContext } from '../models/types.js';
import type { Padding2d, Pair } from '../plans/common.js';
import { planPool2d, POOL2D_OPTION_KEYS, type Pool2dOptions } from '../plans/pool2d.js';
import { padding1dTo2d } from '../ops/conv.js';
import {
  avgPool1d,
  avgPool2d,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  maxPool1d,
  maxPool2d,
} from '../ops/pool.js';
import { tensor } from '../ops/create.js';
import { matMul } from '../ops/matmul.js';
import { reshape } from '../ops/layout.js';
import { expectRank, Layer, positiveInt, type LayerOptions, type Shape } from './layer.js';
import type { Padding1d } from './conv.js';

export interface Pool2DOptions extends LayerOptions {
  window: number | Pair;
  /** Default: the window. */
  stride?: number | Pair;
  padding?: Padding2d;
  /** PyTorch ceil_mode. Default false. */
  ceilMode?: boolean;
  /** Average pooling: count padded cells in the divisor (PyTorch default true). */
  countIncludePad?: boolean;
}

/** Max or average pooling over [C, H, W], per channel, no weights. */
abstract class Pool2DLayer extends Layer {
  readonly window: number | Pair;
  readonly stride: number | Pair | undefined;
  readonly padding: Padding2d;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(options: Pool2DOptions) {
    super(options, POOL2D_OPTION_KEYS);
    if (options === null || typeof options !== 'object') throw new ArgumentError('Pool2D', 'options', options, 'an object with a window');
    this.window = options.window;
    this.stride = options.stride;
    this.padding = options.padding ?? 'valid';
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  private cachedOptions: Pool2dOptions | undefined;

  /** The layer's options as one object while they stay the same, so the op finds its plan memoized (planPool2d). */
  get poolOptions(): Pool2dOptions {
    const o = this.cachedOptions;
    if (
      o !== undefined &&
      o.window === this.window &&
      o.stride === this.stride &&
      o.padding === this.padding &&
      o.ceilMode === this.ceilMode &&
      o.countIncludePad === this.countIncludePad
    ) {
      return o;
    }
    return (this.cachedOptions = Object.freeze({
      window: this.window,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    }));
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 3, '[channels, height, width]');
    return planPool2d([1, ...input!], this.poolOptions, this.type).outShape.slice(1);
  }

  getConfig(): Record<string, unknown> {
    return {
      window: this.window,
      ...(this.stride !== undefined ? { stride: this.stride } : {}),
      padding: this.padding,
      ceilMode: this.ceilMode,
      ...(this.type === 'AvgPool2D' ? { countIncludePad: this.countIncludePad } : {}),
    };
  }
}

export class MaxPool2D extends Pool2DLayer {
  readonly type = 'MaxPool2D';
  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return maxPool2d(x!, this.poolOptions);
  }
}

export class AvgPool2D extends Pool2DLayer {
  readonly type = 'AvgPool2D';
  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return avgPool2d(x!, this.poolOptions);
  }
}

export interface Pool1DOptions extends LayerOptions {
  window: number;
  stride?: number;
  padding?: Padding1d;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

abstract class Pool1DLayer extends Layer {
  readonly window: number;
  readonly stride: number | undefined;
  readonly padding: Padding1d;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(options: Pool1DOptions) {
    // Pool1DOptions has the same keys as Pool2DOptions.
    super(options, POOL2D_OPTION_KEYS);
    if (options === null || typeof options !== 'object') throw new ArgumentError('Pool1D', 'options', options, 'an object with a window');
    this.window = positiveInt('Pool1D', 'window', options.window);
    this.stride = options.stride;
    this.padding = options.padding ?? 'valid';
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  get poolOptions(): { window: number; stride?: number; padding: Padding1d; ceilMode: boolean; countIncludePad: boolean } {
    return { window: this.window, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad };
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 2, '[channels, length]');
    const plan = planPool2d([1, input![0]!, 1, input![1]!], {
      window: [1, this.window],
      stride: this.stride === undefined ? undefined : [1, this.stride],
      padding: padding1dTo2d(this.type, this.padding),
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    }, this.type);
    return [plan.channels, plan.outWidth];
  }

  getConfig(): Record<string, unknown> {
    return {
      window: this.window,
      ...(this.stride !== undefined ? { stride: this.stride } : {}),
      padding: this.padding,
      ceilMode: this.ceilMode,
      ...(this.type === 'AvgPool1D' ? { countIncludePad: this.countIncludePad } : {}),
    };
  }
}

export class MaxPool1D extends Pool1DLayer {
  readonly type = 'MaxPool1D';
  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return maxPool1d(x!, this.poolOptions);
  }
}

export class AvgPool1D extends Pool1DLayer {
  readonly type = 'AvgPool1D';
  call([x]: readonly Tensor[], _ctx: ForwardContext): Tensor {
    return avgPool1d(x!, this.poolOptions);
  }
}

abstract class GlobalPoolLayer extends Layer {
  constructor(options: LayerOptions = {}) {
    super(options, []);
  }
  protected abstract readonly rank: 2 | 3;
  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, this.rank, this.rank === 3 ? '[channels, height, width]' : '[channels, length]');
    return [input![0]!];
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** [C, H, W] -> [C], mean over the spatial axes. */
export class GlobalAvgPool2D extends GlobalPoolLayer {
  readonly type = 'GlobalAvgPool2D';
  protected readonly rank = 3;
  call([x]: readonly Tensor[]): Tensor {
    return globalAvgPool2d(x!);
  }
}

export class GlobalMaxPool2D extends GlobalPoolLayer {
  readonly type = 'GlobalMaxPool2D';
  protected readonly rank = 3;
  call([x]: readonly Tensor[]): Tensor {
    return globalMaxPool2d(x!);
  }
}

export class GlobalAvgPool1D extends GlobalPoolLayer {
  readonly type = 'GlobalAvgPool1D';
  protected readonly rank = 2;
  call([x]: readonly Tensor[]): Tensor {
    return globalAvgPool1d(x!);
  }
}

export class GlobalMaxPool1D extends GlobalPoolLayer {
  readonly type = 'GlobalMaxPool1D';
  protected readonly rank = 2;
  call([x]: readonly Tensor[]): Tensor {
    return globalMaxPool1d(x!);
  }
}

export interface AdaptiveAvgPool2DOptions extends LayerOptions {
  /** Output height and width. */
  outputSize: number | Pair;
}

/** PyTorch's adaptive bins: output cell i averages input rows floor(i*in/out) .. ceil((i+1)*in/out) - 1. */
function adaptiveBins(inLen: number, outLen: number): [number, number][] {
  return Array.from({ length: outLen }, (_, i) => [Math.floor((i * inLen) / outLen), Math.ceil(((i + 1) * inLen) / outLen)]);
}

/**
 * The constant [h*w, oh*ow] matrix whose product with an [N*C, h*w] map is PyTorch's adaptive
 * average pool to [oh, ow] (also what ONNX export writes for bins that do not tile the input).
 */
export function adaptiveAvgPoolMatrix(h: number, w: number, oh: number, ow: number): Float32Array {
  const rows = adaptiveBins(h, oh);
  const cols = adaptiveBins(w, ow);
  const m = new Float32Array(h * w * oh * ow);
  for (let i = 0; i < oh; i++) {
    const [h0, h1] = rows[i]!;
    for (let j = 0; j < ow; j++) {
      const [w0, w1] = cols[j]!;
      const weight = 1 / ((h1 - h0) * (w1 - w0));
      for (let y = h0; y < h1; y++) for (let z = w0; z < w1; z++) m[(y * w + z) * oh * ow + i * ow + j] = weight;
    }
  }
  return m;
}

/**
 * Average pooling to a fixed output size (torch.nn.AdaptiveAvgPool2d), as in torchvision's AlexNet
 * and VGG heads, so the classifier's size does not depend on the input size. When the bins tile the
 * input it is a plain average pool; otherwise (overlapping bins, or upsampling a 1x1 map) it is a
 * product with a constant [H*W, outH*outW] averaging matrix, whose gradient autograd already knows.
 */
export class AdaptiveAvgPool2D extends Layer {
  readonly type = 'AdaptiveAvgPool2D';
  readonly outputSize: [number, number];

  constructor(options: AdaptiveAvgPool2DOptions) {
    super(options, ['outputSize']);
    const s = options?.outputSize;
    const p: [number, number] = typeof s === 'number' ? [s, s] : Array.isArray(s) && s.length === 2 ? [s[0], s[1]] : [NaN, NaN];
    p.forEach((v, i) => positiveInt('AdaptiveAvgPool2D', `outputSize[${i}]`, v));
    this.outputSize = p;
  }

  protected computeOutputShape([input]: readonly Shape[]): Shape {
    expectRank(this, input!, 3, '[channels, height, width]');
    return [input![0]!, this.outputSize[0], this.outputSize[1]];
  }

  call([x]: readonly Tensor[]): Tensor {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const [oh, ow] = this.outputSize;
    if (h % oh === 0 && w % ow === 0) {
      if (h === oh && w === ow) return x!;
      return avgPool2d(x!, { window: [h / oh, w / ow] });
    }
    const m = adaptiveAvgPoolMatrix(h, w, oh, ow);
    const pooling = tensor(m, [h * w, oh * ow], x!.backend);
    const flat = reshape(x!, [n * c, h * w]);
    const pooled = matMul(flat, pooling);
    const y = reshape(pooled, [n, c, oh, ow]);
    for (const t of [pooling, flat, pooled]) t.dispose();
    return y;
  }

  getConfig(): Record<string, unknown> {
    return { outputSize: this.outputSize };
  }
}

/** @internal pooling layer types poolToStridedConv replaces. */
export function isWindowPool(layer: Layer): layer is MaxPool2D | AvgPool2D | MaxPool1D | AvgPool1D {
  return layer instanceof MaxPool2D || layer instanceof AvgPool2D || layer instanceof MaxPool1D || layer instanceof AvgPool1D;
}

