import { ArgumentError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { LayerConfig } from './types.js';
import type { FusedActivation } from '../spec/index.js';
import { AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D } from '../layers/pool.js';
import { planPool2d } from '../plans/pool2d.js';
import { padding1dTo2d } from '../ops/conv.js';
import type { Layer } from '../layers/layer.js';
import type { InitializerName } from '../layers/init.js';
import { LayerModel, modelFromJSON, type BuildOptions } from './model.js';

export interface PoolToStridedConvOptions extends BuildOptions {
  /** Activation of the replacing convolution. Default 'relu', as the All-CNN layers that replace pools. */
  activation?: FusedActivation;
  kernelInit?: InitializerName;
}

/**
 * The padding a convolution needs to produce exactly the pooling layer's output grid: the pool's
 * own pads, plus extra bottom/right pads where ceil mode adds a last partial window.
 */
function stridedConvFor(layer: MaxPool2D | AvgPool2D | MaxPool1D | AvgPool1D, activation: FusedActivation, kernelInit: InitializerName | undefined): LayerConfig {
  const [input] = layer.inputShapes as [readonly number[]];
  const channels = input[0]!;
  const oneD = layer instanceof MaxPool1D || layer instanceof AvgPool1D;
  const plan = oneD
    ? planPool2d([1, channels, 1, input[1]!], {
        window: [1, (layer as MaxPool1D).window],
        stride: layer.stride === undefined ? undefined : [1, layer.stride as number],
        padding: padding1dTo2d(layer.type, (layer as MaxPool1D).padding),
        ceilMode: layer.ceilMode,
      })
    : planPool2d([1, ...input], (layer as MaxPool2D).poolOptions);
  const extra = (inLen: number, before: number, after: number, window: number, stride: number, out: number) =>
    Math.max(0, (out - 1) * stride + window - (inLen + before + after));
  const bottom = plan.padBottom + extra(plan.inHeight, plan.padTop, plan.padBottom, plan.windowHeight, plan.strideHeight, plan.outHeight);
  const right = plan.padRight + extra(plan.inWidth, plan.padLeft, plan.padRight, plan.windowWidth, plan.strideWidth, plan.outWidth);
  const common = { type: oneD ? 'Conv1D' : 'Conv2D', name: layer.name, filters: channels, activation, ...(kernelInit ? { kernelInit } : {}) };
  if (oneD) {
    return { ...common, kernelSize: plan.windowWidth, stride: plan.strideWidth, padding: [plan.padLeft, right] };
  }
  return {
    ...common,
    kernelSize: [plan.windowHeight, plan.windowWidth],
    stride: [plan.strideHeight, plan.strideWidth],
    padding: [plan.padTop, bottom, plan.padLeft, right],
  };
}

function isWindowPool(layer: Layer): layer is MaxPool2D | AvgPool2D | MaxPool1D | AvgPool1D {
  return layer instanceof MaxPool2D || layer instanceof AvgPool2D || layer instanceof MaxPool1D || layer instanceof AvgPool1D;
}

/**
 * "Pooling via convolutional layers" (Springenberg et al. 2015): a copy of the architecture where
 * every max / average pooling layer (1D or 2D; global pooling is kept) becomes a learnable
 * convolution with the same window, stride and padding and as many filters as input channels, so
 * every output shape is unchanged. The new model has fresh weights from `options.seed`.
 */
export function poolToStridedConv(model: LayerModel, options: PoolToStridedConvOptions = {}): LayerModel {
  if (!(model instanceof LayerModel)) throw new ArgumentError('poolToStridedConv', 'model', model, 'a Sequential or graph model');
  checkOptionKeys('poolToStridedConv', options, optionKeys<PoolToStridedConvOptions>({ name: 1, seed: 1, rng: 1, activation: 1, kernelInit: 1 }));
  const activation = options.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'linear') throw new ArgumentError('poolToStridedConv', 'activation', activation, "'relu' or 'linear'");
  const json = model.toJSON();
  const replaced = model.layers.map((l) => (isWindowPool(l) ? stridedConvFor(l, activation, options.kernelInit) : null));
  const key = json.type === 'Sequential' ? 'layers' : 'nodes';
  const configs = (json[key] as LayerConfig[]).map((cfg, i) => {
    const r = replaced[i];
    return r ? { ...r, ...(cfg.inputs ? { inputs: cfg.inputs } : {}) } : cfg;
  });
  return modelFromJSON({ ...json, [key]: configs }, { ...options, name: options.name ?? `${model.name}-strided` });
}
