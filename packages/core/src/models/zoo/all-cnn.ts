import { Conv2D } from '../../layers/conv.js';
import { Dropout } from '../../layers/core.js';
import type { Layer } from '../../layers/layer.js';
import { GlobalAvgPool2D, MaxPool2D } from '../../layers/pool.js';
import { Sequential } from '../model.js';
import { checkZooOptions, classes, imageShape, rate, type ZooOptions } from './common.js';

export interface CnnCOptions extends ZooOptions {
  /** Dropout on the input image (paper: 0.2); 0 disables. */
  inputDropout?: number;
  /** Dropout after each pooling layer or the layer replacing it (paper: 0.5); 0 disables. */
  dropout?: number;
}

type Variant = 'base' | 'strided' | 'convpool' | 'all';

/**
 * The model C family of Springenberg et al. 2015 ("Striving for simplicity: the all convolutional
 * net"), Tables 1 and 2, input [3, 32, 32] (CIFAR). Every conv is followed by ReLU, including the
 * final 1x1 conv with numClasses filters, then global averaging over 6x6 gives the logits.
 * 3x3 convs use padding 1 except the first one after the second pooling stage, which is 'valid'
 * (8x8 -> 6x6, the paper's 6x6 global average); pools and stride-2 convs are 3x3, stride 2, pad 1.
 */
function cnnCFamily(variant: Variant, model: string, options: CnnCOptions): Sequential {
  checkZooOptions(model, options, ['inputDropout', 'dropout']);
  const inputShape = imageShape(model, options, [3, 32, 32]);
  const numClasses = classes(model, options, 10);
  const inputDropout = rate(model, 'inputDropout', options.inputDropout ?? 0.2);
  const dropout = rate(model, 'dropout', options.dropout ?? 0.5);
  let k = 0;
  const conv = (filters: number, kernelSize: number, extra: { stride?: number; padding?: number } = {}) =>
    new Conv2D({ name: `conv${++k}`, filters, kernelSize, padding: extra.padding ?? (kernelSize === 3 ? 1 : 0), stride: extra.stride ?? 1, activation: 'relu' });
  let d = 0;
  const drop = (r: number): Layer[] => (r > 0 ? [new Dropout({ name: `dropout${d++}`, rate: r })] : []);
  let p = 0;
  const pool = () => new MaxPool2D({ name: `pool${++p}`, window: 3, stride: 2, padding: 1 });
  const stage = (filters: number): Layer[] => {
    switch (variant) {
      case 'base':
        return [conv(filters, 3), conv(filters, 3), pool(), ...drop(dropout)];
      case 'strided':
        return [conv(filters, 3), conv(filters, 3, { stride: 2 }), ...drop(dropout)];
      case 'convpool':
        return [conv(filters, 3), conv(filters, 3), conv(filters, 3), pool(), ...drop(dropout)];
      case 'all':
        return [conv(filters, 3), conv(filters, 3), conv(filters, 3, { stride: 2 }), ...drop(dropout)];
    }
  };
  const layers: Layer[] = [
    ...drop(inputDropout),
    ...stage(96),
    ...stage(192),
    conv(192, 3, { padding: 0 }),
    conv(192, 1),
    conv(numClasses, 1),
    new GlobalAvgPool2D({ name: 'global_pool' }),
  ];
  return new Sequential(layers, { ...options, name: options.name ?? model, inputShape });
}

/** Model C (Table 1): conv-conv-maxpool stages. 954,730 parameters for 10 classes. */
export const cnnC = (options: CnnCOptions = {}): Sequential => cnnCFamily('base', 'cnnC', options);
/** Strided-CNN-C (Table 2): pools removed, the conv before each gets stride 2. */
export const stridedCnnC = (options: CnnCOptions = {}): Sequential => cnnCFamily('strided', 'stridedCnnC', options);
/** ConvPool-CNN-C (Table 2): an extra conv before each pool (same parameters as All-CNN-C). */
export const convPoolCnnC = (options: CnnCOptions = {}): Sequential => cnnCFamily('convpool', 'convPoolCnnC', options);
/** All-CNN-C (Table 2): each pool replaced by a 3x3 stride-2 conv; 1,369,738 parameters for 10 classes. */
export const allCnnC = (options: CnnCOptions = {}): Sequential => cnnCFamily('all', 'allCnnC', options);
