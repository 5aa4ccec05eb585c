export { Layer, ModelParameter, type LayerOptions, type ParamSpec, type Shape } from './layer.js';
export { INITIALIZERS, initialValues, type InitializerName } from './init.js';
export { Conv1D, Conv2D, type Conv1DOptions, type Conv2DOptions, type Padding1d } from './conv.js';
export {
  AdaptiveAvgPool2D,
  adaptiveAvgPoolMatrix,
  AvgPool1D,
  AvgPool2D,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalMaxPool1D,
  GlobalMaxPool2D,
  MaxPool1D,
  MaxPool2D,
  type AdaptiveAvgPool2DOptions,
  type Pool1DOptions,
  type Pool2DOptions,
} from './pool.js';
export { Dense, Dropout, ELU, Flatten, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, type AlphaOptions, type DenseOptions, type DropoutOptions } from './core.js';
export { BatchNorm1D, BatchNorm2D, type BatchNormOptions } from './normalization.js';
export { Add, Concat, type ConcatOptions } from './merge.js';
export { layerFromJSON, layerTypes, registerLayer } from './registry.js';
