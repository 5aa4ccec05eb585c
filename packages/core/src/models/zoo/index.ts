import { ArgumentError } from '../../errors.js';
import type { LayerModel } from '../model.js';
import { lenet5 } from './lenet.js';
import { ccpccp } from './ccpccp.js';
import { allCnnC, cnnC, convPoolCnnC, stridedCnnC } from './all-cnn.js';
import { alexnet, vgg11, vgg16 } from './alexnet.js';
import { googlenet } from './googlenet.js';
import { resnet18, resnet20 } from './resnet.js';
import type { ZooOptions } from './common.js';

export interface ZooEntry {
  create: (options?: ZooOptions & Record<string, unknown>) => LayerModel;
  /** Default input shape, batch axis excluded. */
  inputShape: readonly number[];
  numClasses: number;
  description: string;
}

/** Every model of the zoo by name. */
export const modelZoo: Readonly<Record<string, ZooEntry>> = Object.freeze({
  lenet5: { create: lenet5, inputShape: [1, 28, 28], numClasses: 10, description: 'LeNet-5 (conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10): 61,706 params' },
  ccpccp: { create: ccpccp, inputShape: [1, 28, 28], numClasses: 10, description: 'CCPCCP with batch norm (conv 32, 32, pool, conv 64, 64, pool, dense 512): Fashion-MNIST' },
  cnnC: { create: cnnC, inputShape: [3, 32, 32], numClasses: 10, description: 'Model C base (Springenberg et al. 2015, Table 1)' },
  stridedCnnC: { create: stridedCnnC, inputShape: [3, 32, 32], numClasses: 10, description: 'Strided-CNN-C (Springenberg et al. 2015)' },
  convPoolCnnC: { create: convPoolCnnC, inputShape: [3, 32, 32], numClasses: 10, description: 'ConvPool-CNN-C (Springenberg et al. 2015)' },
  allCnnC: { create: allCnnC, inputShape: [3, 32, 32], numClasses: 10, description: 'All-CNN-C (Springenberg et al. 2015)' },
  alexnet: { create: alexnet, inputShape: [3, 224, 224], numClasses: 1000, description: 'AlexNet, torchvision layout' },
  vgg11: { create: vgg11, inputShape: [3, 224, 224], numClasses: 1000, description: 'VGG-11, torchvision layout' },
  vgg16: { create: vgg16, inputShape: [3, 224, 224], numClasses: 1000, description: 'VGG-16, torchvision layout' },
  googlenet: { create: googlenet, inputShape: [3, 224, 224], numClasses: 1000, description: 'GoogLeNet / Inception v1, torchvision layout, no aux heads' },
  resnet20: { create: resnet20, inputShape: [3, 32, 32], numClasses: 10, description: 'ResNet-20 for CIFAR, option B shortcuts' },
  resnet18: { create: resnet18, inputShape: [3, 224, 224], numClasses: 1000, description: 'ResNet-18, torchvision layout' },
} satisfies Record<string, ZooEntry>);

/** Names createModel accepts. */
export function modelNames(): string[] {
  return Object.keys(modelZoo);
}

/** createModel's options: a zoo model's own, plus `pretrained`, which is refused with the way to get one. */
export type CreateModelOptions = ZooOptions &
  Record<string, unknown> & {
    /**
     * Not here: core builds untrained models only. Pretrained weights ship in `@stridenet/weights`:
     * `const { model } = await createPretrained('lenet5', 'fashion-mnist')`.
     */
    pretrained?: never;
  };

/** A zoo model by name, e.g. createModel('lenet5', { seed: 1 }), with freshly initialised weights. */
export function createModel(name: string, options: CreateModelOptions = {}): LayerModel {
  const entry = Object.prototype.hasOwnProperty.call(modelZoo, name) ? modelZoo[name] : undefined;
  if (!entry) throw new ArgumentError('createModel', 'name', name, `one of ${modelNames().join(', ')}`);
  if (options.pretrained !== undefined) {
    // Core cannot load the weights package itself: it would be a dependency cycle, and a synchronous
    // createModel cannot wait for the weights' (dynamically imported, checksummed) bytes.
    throw new ArgumentError(
      'createModel',
      'pretrained',
      options.pretrained,
      `no pretrained option: pretrained weights ship in the package @stridenet/weights; use \`const { model } = await createPretrained(${JSON.stringify(name)}, ${JSON.stringify(String(options.pretrained))})\` from it (npm i @stridenet/weights)`,
    );
  }
  return entry.create(options);
}

export { lenet5, ccpccp, cnnC, stridedCnnC, convPoolCnnC, allCnnC, alexnet, vgg11, vgg16, googlenet, resnet18, resnet20 };
export { resnetCifar, type ResNetCifarOptions } from './resnet.js';
export type { ZooOptions } from './common.js';
export type { LeNet5Options } from './lenet.js';
export type { CnnCOptions } from './all-cnn.js';
export type { ClassifierOptions, VggOptions } from './alexnet.js';
export type { GoogLeNetOptions } from './googlenet.js';
