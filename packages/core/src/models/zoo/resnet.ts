import { ArgumentError } from '../../errors.js';
import { Conv2D } from '../../layers/conv.js';
import { Dense, ReLU } from '../../layers/core.js';
import { BatchNorm2D } from '../../layers/normalization.js';
import { GlobalAvgPool2D, MaxPool2D } from '../../layers/pool.js';
import { Add } from '../../layers/merge.js';
import { graph, type GraphBuilder, type GraphModel, type GraphNode } from '../model.js';
import { checkZooOptions, classes, imageShape, type ZooOptions } from './common.js';

function convBn(g: GraphBuilder, x: GraphNode, conv: string, bn: string, filters: number, kernelSize: number, stride: number): GraphNode {
  const padding = (kernelSize - 1) / 2;
  const c = g.add(new Conv2D({ name: conv, filters, kernelSize, stride, padding, useBias: false, kernelInit: 'heNormalFanOut' }), x);
  return g.add(new BatchNorm2D({ name: bn }), c);
}

/**
 * Basic residual block (two 3x3 convs) named as torchvision: conv1, bn1, conv2, bn2, and
 * downsample.0 / downsample.1 (1x1 conv + batch norm) when the shape changes (option B shortcut).
 */
function basicBlock(g: GraphBuilder, name: string, x: GraphNode, filters: number, stride: number): GraphNode {
  let y = convBn(g, x, `${name}.conv1`, `${name}.bn1`, filters, 3, stride);
  y = g.add(new ReLU({ name: `${name}.relu1` }), y);
  y = convBn(g, y, `${name}.conv2`, `${name}.bn2`, filters, 3, 1);
  const shortcut = stride !== 1 || x.shape[0] !== filters ? convBn(g, x, `${name}.downsample.0`, `${name}.downsample.1`, filters, 1, stride) : x;
  const sum = g.add(new Add({ name: `${name}.add` }), [y, shortcut]);
  return g.add(new ReLU({ name: `${name}.relu2` }), sum);
}

/**
 * ResNet-18 (He et al. 2016) in torchvision's layout and parameter names (layer1.0.conv1.weight,
 * ...; batch-norm buffers are runningMean / runningVar): input [3, 224, 224], 11,689,512
 * parameters for 1000 classes. Convs use torchvision's kaiming-normal (fan-out) init. Works on
 * inputs down to 32x32 (train with batch >= 2 there: the last stage is 1x1).
 */
export function resnet18(options: ZooOptions = {}): GraphModel {
  checkZooOptions('resnet18', options);
  const inputShape = imageShape('resnet18', options, [3, 224, 224]);
  const numClasses = classes('resnet18', options, 1000);
  const g = graph(inputShape);
  let x = convBn(g, g.input, 'conv1', 'bn1', 64, 7, 2);
  x = g.add(new ReLU({ name: 'relu' }), x);
  x = g.add(new MaxPool2D({ name: 'maxpool', window: 3, stride: 2, padding: 1 }), x);
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let b = 0; b < 2; b++) x = basicBlock(g, `layer${stage + 1}.${b}`, x, filters, b === 0 && stage > 0 ? 2 : 1);
  });
  x = g.add(new GlobalAvgPool2D({ name: 'avgpool' }), x);
  x = g.add(new Dense({ name: 'fc', units: numClasses }), x);
  return g.build(x, { ...options, name: options.name ?? 'resnet18' });
}

export interface ResNetCifarOptions extends ZooOptions {
  /** 6n + 2: 20 (default), 32, 44, 56, 110. */
  depth?: number;
}

/**
 * The CIFAR ResNets of He et al. 2016 (section 4.2): a 3x3 conv with 16 filters, three stages of
 * n basic blocks with 16, 32 and 64 filters (stride 2 at the start of stages 2 and 3), global
 * average pooling and a dense layer; input [3, 32, 32]. Shortcuts use option B: identity, or a
 * 1x1 conv + batch norm projection where the shape changes (the paper's CIFAR runs used option A,
 * parameter-free zero padding; B adds 2,752 parameters to ResNet-20). ResNet-20 with 10 classes:
 * 272,474 parameters.
 */
export function resnetCifar(options: ResNetCifarOptions = {}): GraphModel {
  checkZooOptions('resnetCifar', options, ['depth']);
  const depth = options.depth ?? 20;
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) throw new ArgumentError('resnetCifar', 'depth', depth, '6n + 2 with n >= 1 (20, 32, 44, 56, 110)');
  const n = (depth - 2) / 6;
  const model = `resnet${depth}`;
  const inputShape = imageShape(model, options, [3, 32, 32]);
  const numClasses = classes(model, options, 10);
  const g = graph(inputShape);
  let x = convBn(g, g.input, 'conv1', 'bn1', 16, 3, 1);
  x = g.add(new ReLU({ name: 'relu' }), x);
  [16, 32, 64].forEach((filters, stage) => {
    for (let b = 0; b < n; b++) x = basicBlock(g, `layer${stage + 1}.${b}`, x, filters, b === 0 && stage > 0 ? 2 : 1);
  });
  x = g.add(new GlobalAvgPool2D({ name: 'avgpool' }), x);
  x = g.add(new Dense({ name: 'fc', units: numClasses }), x);
  return g.build(x, { ...options, name: options.name ?? model });
}

/** ResNet-20 for CIFAR (option B shortcuts), see resnetCifar. */
export const resnet20 = (options: ZooOptions = {}): GraphModel => resnetCifar({ ...options, depth: 20 });
