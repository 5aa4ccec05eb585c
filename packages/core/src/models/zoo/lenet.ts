import { ArgumentError } from '../../errors.js';
import { Conv2D } from '../../layers/conv.js';
import { Dense, Flatten, Tanh } from '../../layers/core.js';
import type { Layer } from '../../layers/layer.js';
import { AvgPool2D, MaxPool2D } from '../../layers/pool.js';
import { Sequential } from '../model.js';
import { checkZooOptions, classes, imageShape, type ZooOptions } from './common.js';

export interface LeNet5Options extends ZooOptions {
  /** Default 'relu'; 'tanh' as in 1998. */
  activation?: 'relu' | 'tanh';
  /** Default 'max'; 'avg' for the 1998 subsampling without its trainable coefficients. */
  pooling?: 'max' | 'avg';
}

/**
 * LeNet-5 (LeCun et al. 1998) in its common modern form, input [1, 28, 28] (MNIST family):
 * C1 conv 6@5x5 pad 2 -> S2 pool 2x2 -> C3 conv 16@5x5 (full connectivity, not the paper's sparse
 * table) -> S4 pool 2x2 -> F5 dense 120 -> F6 dense 84 -> dense numClasses (instead of RBF units).
 * Pooling has no trainable coefficients. With 10 classes: 156 + 2,416 + 48,120 + 10,164 + 850 =
 * 61,706 parameters. Padding 2 makes the 28x28 input play the paper's 32x32 one.
 */
export function lenet5(options: LeNet5Options = {}): Sequential {
  checkZooOptions('lenet5', options, ['activation', 'pooling']);
  const inputShape = imageShape('lenet5', options, [1, 28, 28]);
  const numClasses = classes('lenet5', options, 10);
  const act = options.activation ?? 'relu';
  if (act !== 'relu' && act !== 'tanh') throw new ArgumentError('lenet5', 'activation', act, "'relu' or 'tanh'");
  const pooling = options.pooling ?? 'max';
  if (pooling !== 'max' && pooling !== 'avg') throw new ArgumentError('lenet5', 'pooling', pooling, "'max' or 'avg'");
  const fused = act === 'relu' ? 'relu' : 'linear';
  const after = (name: string): Layer[] => (act === 'tanh' ? [new Tanh({ name })] : []);
  const pool = (name: string) => (pooling === 'max' ? new MaxPool2D({ name, window: 2 }) : new AvgPool2D({ name, window: 2 }));
  return new Sequential(
    [
      new Conv2D({ name: 'conv1', filters: 6, kernelSize: 5, padding: 2, activation: fused }),
      ...after('tanh1'),
      pool('pool1'),
      new Conv2D({ name: 'conv2', filters: 16, kernelSize: 5, activation: fused }),
      ...after('tanh2'),
      pool('pool2'),
      new Flatten({ name: 'flatten' }),
      new Dense({ name: 'fc1', units: 120, activation: fused }),
      ...after('tanh3'),
      new Dense({ name: 'fc2', units: 84, activation: fused }),
      ...after('tanh4'),
      new Dense({ name: 'fc3', units: numClasses }),
    ],
    { ...options, name: options.name ?? 'lenet5', inputShape },
  );
}
