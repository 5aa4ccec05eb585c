import { existsSync } from 'node:fs';
import { createModel, modelFromArchitecture, modelNames, modelZoo, type LayerConfig, type LayerModel } from '@stridenet/core';
import { readTextFile } from './config.js';
import { UsageError, unknownName } from './errors.js';

/** Checks a --model value: a zoo name or a JSON architecture file. */
export function checkModelName(spec: string): void {
  if (Object.prototype.hasOwnProperty.call(modelZoo, spec)) return;
  if (spec.endsWith('.json') && existsSync(spec)) return;
  throw unknownName('model', spec, modelNames(), 'Or give a JSON architecture file (see `stridenet info --json`).');
}

/**
 * Builds the model for a dataset of the given image shape and class count. Zoo models take the
 * class count from the data; an input shape that differs from the data's is an error naming both.
 */
export function buildModel(spec: string, dataShape: readonly number[], numClasses: number, seed: number): LayerModel {
  checkModelName(spec);
  let model: LayerModel;
  if (Object.prototype.hasOwnProperty.call(modelZoo, spec)) {
    model = createModel(spec, { seed, numClasses });
  } else {
    const text = readTextFile('--model', spec);
    let arch: LayerConfig;
    try {
      arch = JSON.parse(text) as LayerConfig;
    } catch (e) {
      throw new UsageError(`--model: ${spec} is not valid JSON: ${(e as Error).message}`);
    }
    model = modelFromArchitecture(arch, spec, { seed });
  }
  const same = model.inputShape.length === dataShape.length && model.inputShape.every((d, i) => d === dataShape[i]);
  if (!same) {
    model.dispose();
    throw new UsageError(
      `model '${spec}' expects input [${model.inputShape.join(',')}] but the dataset's images are [${dataShape.join(',')}]; choose a model for this data (e.g. lenet5 for 1x28x28, allCnnC or resnet20 for 3x32x32)`,
    );
  }
  const outputs = model.outputShape[model.outputShape.length - 1];
  if (outputs !== numClasses) {
    model.dispose();
    throw new UsageError(`model '${spec}' has ${outputs} outputs but the dataset has ${numClasses} classes`);
  }
  return model;
}
