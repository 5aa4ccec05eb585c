import { Conv2D } from '../../layers/conv.js';
import { Dense, Dropout, Flatten, ReLU } from '../../layers/core.js';
import type { Layer } from '../../layers/layer.js';
import { BatchNorm1D, BatchNorm2D } from '../../layers/normalization.js';
import { MaxPool2D } from '../../layers/pool.js';
import { Sequential } from '../model.js';
import { checkZooOptions, classes, imageShape, type ZooOptions } from './common.js';

/**
 * The CCPCCP stack with batch normalisation for Fashion-MNIST-sized inputs ([1, 28, 28] default):
 * two blocks of (conv 3x3 pad 1 -> BN -> ReLU) x2 -> max pool 2 -> dropout 0.25, with 32 then 64
 * filters, then dense 512 -> BN -> ReLU -> dropout 0.5 -> dense numClasses. Convolutions carry no
 * bias (batch norm's shift replaces it). With 10 classes: 1,676,970 trainable parameters and
 * 1,408 batch-norm buffers (running mean and variance), as PyTorch counts the same stack.
 */
export function ccpccp(options: ZooOptions = {}): Sequential {
  checkZooOptions('ccpccp', options);
  const inputShape = imageShape('ccpccp', options, [1, 28, 28]);
  const numClasses = classes('ccpccp', options, 10);
  const block = (i: number, filters: number): Layer[] => [
    new Conv2D({ name: `conv${i}`, filters, kernelSize: 3, padding: 1, useBias: false }),
    new BatchNorm2D({ name: `bn${i}` }),
    new ReLU({ name: `relu${i}` }),
  ];
  return new Sequential(
    [
      ...block(1, 32),
      ...block(2, 32),
      new MaxPool2D({ name: 'pool1', window: 2 }),
      new Dropout({ name: 'drop1', rate: 0.25 }),
      ...block(3, 64),
      ...block(4, 64),
      new MaxPool2D({ name: 'pool2', window: 2 }),
      new Dropout({ name: 'drop2', rate: 0.25 }),
      new Flatten({ name: 'flatten' }),
      new Dense({ name: 'fc1', units: 512, useBias: false }),
      new BatchNorm1D({ name: 'bn5' }),
      new ReLU({ name: 'relu5' }),
      new Dropout({ name: 'drop3', rate: 0.5 }),
      new Dense({ name: 'fc2', units: numClasses }),
    ],
    { ...options, name: options.name ?? 'ccpccp', inputShape },
  );
}
