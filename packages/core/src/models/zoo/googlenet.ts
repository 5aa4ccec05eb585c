import { ArgumentError } from '../../errors.js';
import { Conv2D } from '../../layers/conv.js';
import { Dense, Dropout, ReLU } from '../../layers/core.js';
import { BatchNorm2D } from '../../layers/normalization.js';
import { GlobalAvgPool2D, MaxPool2D } from '../../layers/pool.js';
import { Concat } from '../../layers/merge.js';
import { graph, type GraphBuilder, type GraphModel, type GraphNode } from '../model.js';
import { checkZooOptions, classes, imageShape, rate, type ZooOptions } from './common.js';

export interface GoogLeNetOptions extends ZooOptions {
  /** Kernel of the inception "5x5" branch: 3 as torchvision (default), 5 as the paper. */
  branch3Kernel?: 3 | 5;
  /** Dropout before the classifier. Default 0.2 (torchvision). */
  dropout?: number;
}

/** conv (no bias) - batch norm (eps 1e-3) - relu: torchvision's BasicConv2d. */
function basicConv(g: GraphBuilder, name: string, x: GraphNode, filters: number, kernelSize: number, stride = 1, padding = 0): GraphNode {
  const c = g.add(new Conv2D({ name: `${name}.conv`, filters, kernelSize, stride, padding, useBias: false }), x);
  const b = g.add(new BatchNorm2D({ name: `${name}.bn`, epsilon: 1e-3 }), c);
  return g.add(new ReLU({ name: `${name}.relu` }), b);
}

/**
 * GoogLeNet / Inception v1 (Szegedy et al. 2015) in torchvision's layout without auxiliary
 * classifiers: batch-normalised convs, ceil-mode pools, input [3, 224, 224]. 6,624,904 parameters
 * for 1000 classes with the torchvision 3x3 "5x5" branch; branch3Kernel 5 gives the paper's 5x5.
 * Small inputs work down to about 32x32.
 */
export function googlenet(options: GoogLeNetOptions = {}): GraphModel {
  checkZooOptions('googlenet', options, ['branch3Kernel', 'dropout']);
  const inputShape = imageShape('googlenet', options, [3, 224, 224]);
  const numClasses = classes('googlenet', options, 1000);
  const k5 = options.branch3Kernel ?? 3;
  if (k5 !== 3 && k5 !== 5) throw new ArgumentError('googlenet', 'branch3Kernel', k5, '3 or 5');
  const p = rate('googlenet', 'dropout', options.dropout ?? 0.2);
  const g = graph(inputShape);
  const pool = (name: string, x: GraphNode, window: number, stride: number, padding = 0) =>
    g.add(new MaxPool2D({ name, window, stride, padding, ceilMode: true }), x);
  const inception = (name: string, x: GraphNode, c1: number, c3r: number, c3: number, c5r: number, c5: number, proj: number) => {
    const b1 = basicConv(g, `${name}.branch1`, x, c1, 1);
    const b2 = basicConv(g, `${name}.branch2.1`, basicConv(g, `${name}.branch2.0`, x, c3r, 1), c3, 3, 1, 1);
    const b3 = basicConv(g, `${name}.branch3.1`, basicConv(g, `${name}.branch3.0`, x, c5r, 1), c5, k5, 1, (k5 - 1) / 2);
    const b4 = basicConv(g, `${name}.branch4.1`, pool(`${name}.branch4.0`, x, 3, 1, 1), proj, 1);
    return g.add(new Concat({ name: `${name}.concat` }), [b1, b2, b3, b4]);
  };
  let x = basicConv(g, 'conv1', g.input, 64, 7, 2, 3);
  x = pool('maxpool1', x, 3, 2);
  x = basicConv(g, 'conv2', x, 64, 1);
  x = basicConv(g, 'conv3', x, 192, 3, 1, 1);
  x = pool('maxpool2', x, 3, 2);
  x = inception('inception3a', x, 64, 96, 128, 16, 32, 32);
  x = inception('inception3b', x, 128, 128, 192, 32, 96, 64);
  x = pool('maxpool3', x, 3, 2);
  x = inception('inception4a', x, 192, 96, 208, 16, 48, 64);
  x = inception('inception4b', x, 160, 112, 224, 24, 64, 64);
  x = inception('inception4c', x, 128, 128, 256, 24, 64, 64);
  x = inception('inception4d', x, 112, 144, 288, 32, 64, 64);
  x = inception('inception4e', x, 256, 160, 320, 32, 128, 128);
  x = pool('maxpool4', x, 2, 2);
  x = inception('inception5a', x, 256, 160, 320, 32, 128, 128);
  x = inception('inception5b', x, 384, 192, 384, 48, 128, 128);
  x = g.add(new GlobalAvgPool2D({ name: 'avgpool' }), x);
  if (p > 0) x = g.add(new Dropout({ name: 'dropout', rate: p }), x);
  x = g.add(new Dense({ name: 'fc', units: numClasses }), x);
  return g.build(x, { ...options, name: options.name ?? 'googlenet' });
}
