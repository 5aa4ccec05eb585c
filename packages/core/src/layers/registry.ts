import { ArgumentError } from '../errors.js';
import type { LayerConfig } from '../models/types.js';
import type { Layer } from './layer.js';
import { Conv1D, Conv2D } from './conv.js';
import {
  AdaptiveAvgPool2D,
  AvgPool1D,
  AvgPool2D,
  GlobalAvgPool1D,
  GlobalAvgPool2D,
  GlobalMaxPool1D,
  GlobalMaxPool2D,
  MaxPool1D,
  MaxPool2D,
} from './pool.js';
import { Dense, Dropout, ELU, Flatten, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh } from './core.js';
import { BatchNorm1D, BatchNorm2D } from './normalization.js';
import { Add, Concat } from './merge.js';

type LayerFactory = (config: Record<string, unknown>) => Layer;

// Constructors validate their own options, so the JSON goes straight in.
const factories: Record<string, LayerFactory> = {
  Conv1D: (c) => new Conv1D(c as never),
  Conv2D: (c) => new Conv2D(c as never),
  MaxPool1D: (c) => new MaxPool1D(c as never),
  MaxPool2D: (c) => new MaxPool2D(c as never),
  AvgPool1D: (c) => new AvgPool1D(c as never),
  AvgPool2D: (c) => new AvgPool2D(c as never),
  GlobalAvgPool1D: (c) => new GlobalAvgPool1D(c),
  GlobalAvgPool2D: (c) => new GlobalAvgPool2D(c),
  GlobalMaxPool1D: (c) => new GlobalMaxPool1D(c),
  GlobalMaxPool2D: (c) => new GlobalMaxPool2D(c),
  AdaptiveAvgPool2D: (c) => new AdaptiveAvgPool2D(c as never),
  Dense: (c) => new Dense(c as never),
  Flatten: (c) => new Flatten(c),
  ReLU: (c) => new ReLU(c),
  LeakyReLU: (c) => new LeakyReLU(c),
  ELU: (c) => new ELU(c),
  Tanh: (c) => new Tanh(c),
  Sigmoid: (c) => new Sigmoid(c),
  Softmax: (c) => new Softmax(c),
  Dropout: (c) => new Dropout(c as never),
  BatchNorm1D: (c) => new BatchNorm1D(c),
  BatchNorm2D: (c) => new BatchNorm2D(c),
  Add: (c) => new Add(c),
  Concat: (c) => new Concat(c),
};

/** Layer types layerFromJSON knows. */
export function layerTypes(): string[] {
  return Object.keys(factories);
}

/** Registers a custom layer type for layerFromJSON / modelFromJSON. */
export function registerLayer(type: string, factory: LayerFactory): void {
  if (typeof type !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(type)) throw new ArgumentError('registerLayer', 'type', type, 'an identifier');
  factories[type] = factory;
}

/** A new (unbuilt) layer from its JSON config. */
export function layerFromJSON(config: LayerConfig): Layer {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new ArgumentError('layerFromJSON', 'config', config, 'an object with a string type');
  }
  const factory = Object.prototype.hasOwnProperty.call(factories, config.type) ? factories[config.type] : undefined;
  if (!factory) {
    throw new ArgumentError('layerFromJSON', 'type', config.type, `a known layer type: ${layerTypes().join(', ')}`);
  }
  const { type: _type, inputs: _inputs, ...options } = config;
  return factory(options);
}
