import { ArgumentError } from '../../errors.js';
import { Conv2D } from '../../layers/conv.js';
import { Dense, Dropout, Flatten, ReLU } from '../../layers/core.js';
import type { Layer } from '../../layers/layer.js';
import { BatchNorm2D } from '../../layers/normalization.js';
import { AdaptiveAvgPool2D, MaxPool2D } from '../../layers/pool.js';
import { Sequential } from '../model.js';
import { checkZooOptions, classes, imageShape, rate, type ZooOptions } from './common.js';

export interface ClassifierOptions extends ZooOptions {
  /** Width of the two hidden dense layers (4096 in the papers; smaller for quick tests). */
  hiddenUnits?: number;
  /** Dropout before each hidden dense layer. Default 0.5. */
  dropout?: number;
}

function hidden(model: string, options: ClassifierOptions): number {
  const h = options.hiddenUnits ?? 4096;
  if (!Number.isInteger(h) || h < 1) throw new ArgumentError(model, 'hiddenUnits', h, 'a positive integer');
  return h;
}

/** dropout - fc - relu - dropout - fc - relu - fc, as torchvision's AlexNet / VGG classifiers. */
function classifier(model: string, options: ClassifierOptions, numClasses: number, dropoutFirst: boolean): Layer[] {
  const h = hidden(model, options);
  const p = rate(model, 'dropout', options.dropout ?? 0.5);
  const drop = (i: number): Layer[] => (p > 0 ? [new Dropout({ name: `classifier.drop${i}`, rate: p })] : []);
  return dropoutFirst
    ? [...drop(0), new Dense({ name: 'classifier.1', units: h, activation: 'relu' }), ...drop(1), new Dense({ name: 'classifier.4', units: h, activation: 'relu' }), new Dense({ name: 'classifier.6', units: numClasses })]
    : [new Dense({ name: 'classifier.0', units: h, activation: 'relu' }), ...drop(0), new Dense({ name: 'classifier.3', units: h, activation: 'relu' }), ...drop(1), new Dense({ name: 'classifier.6', units: numClasses })];
}

/**
 * AlexNet in torchvision's single-tower layout (Krizhevsky et al. 2012 / the "one weird trick"
 * variant): input [3, 224, 224]; 61,100,840 parameters for 1000 classes. An adaptive 6x6 average
 * pool before the classifier (as torchvision) lets smaller inputs (>= 63x63) keep every weight shape.
 */
export function alexnet(options: ClassifierOptions = {}): Sequential {
  checkZooOptions('alexnet', options, ['hiddenUnits', 'dropout']);
  const inputShape = imageShape('alexnet', options, [3, 224, 224]);
  const numClasses = classes('alexnet', options, 1000);
  const conv = (i: number, filters: number, kernelSize: number, stride: number, padding: number) =>
    new Conv2D({ name: `features.${i}`, filters, kernelSize, stride, padding, activation: 'relu' });
  const pool = (i: number) => new MaxPool2D({ name: `features.${i}`, window: 3, stride: 2 });
  return new Sequential(
    [
      conv(0, 64, 11, 4, 2),
      pool(2),
      conv(3, 192, 5, 1, 2),
      pool(5),
      conv(6, 384, 3, 1, 1),
      conv(8, 256, 3, 1, 1),
      conv(10, 256, 3, 1, 1),
      pool(12),
      new AdaptiveAvgPool2D({ name: 'avgpool', outputSize: 6 }),
      new Flatten({ name: 'flatten' }),
      ...classifier('alexnet', options, numClasses, true),
    ],
    { ...options, name: options.name ?? 'alexnet', inputShape },
  );
}

export interface VggOptions extends ClassifierOptions {
  /** Batch norm after every conv (torchvision vgg*_bn). Default false. */
  batchNorm?: boolean;
}

const VGG_CONFIGS = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
} as const;

function vgg(model: keyof typeof VGG_CONFIGS, options: VggOptions): Sequential {
  checkZooOptions(model, options, ['hiddenUnits', 'dropout', 'batchNorm']);
  const inputShape = imageShape(model, options, [3, 224, 224]);
  const numClasses = classes(model, options, 1000);
  const bn = options.batchNorm ?? false;
  const layers: Layer[] = [];
  let i = 0;
  for (const v of VGG_CONFIGS[model]) {
    if (v === 'M') {
      layers.push(new MaxPool2D({ name: `features.${i++}`, window: 2, stride: 2 }));
    } else if (bn) {
      layers.push(new Conv2D({ name: `features.${i++}`, filters: v, kernelSize: 3, padding: 1 }));
      layers.push(new BatchNorm2D({ name: `features.${i++}` }));
      layers.push(new ReLU({ name: `features.${i++}` }));
    } else {
      layers.push(new Conv2D({ name: `features.${i}`, filters: v, kernelSize: 3, padding: 1, activation: 'relu' }));
      i += 2;
    }
  }
  layers.push(new AdaptiveAvgPool2D({ name: 'avgpool', outputSize: 7 }), new Flatten({ name: 'flatten' }), ...classifier(model, options, numClasses, false));
  return new Sequential(layers, { ...options, name: options.name ?? model, inputShape });
}

/**
 * VGG-11 (configuration A, Simonyan & Zisserman 2015) in torchvision's layout: input [3, 224, 224],
 * 132,863,336 parameters for 1000 classes; inputs down to 32x32 work (adaptive 7x7 average pool).
 */
export const vgg11 = (options: VggOptions = {}): Sequential => vgg('vgg11', options);
/** VGG-16 (configuration D), torchvision layout: 138,357,544 parameters for 1000 classes. */
export const vgg16 = (options: VggOptions = {}): Sequential => vgg('vgg16', options);
