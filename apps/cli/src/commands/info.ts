import { existsSync } from 'node:fs';
import { modelFromArchitecture, modelNames, modelZoo, setBackend, type LayerConfig, type LayerModel } from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { EXIT, UsageError } from '../errors.js';
import { readTextFile } from '../config.js';
import { checkModelName } from '../model-spec.js';
import { weightsPathOf } from '../trained.js';
import { loadModelFile } from '@stridenet/core/node';

/** `stridenet info [model|arch.json|run|weights]`: the model's summary table, or the zoo list. */
export async function infoCommand(target: string | undefined, flags: { json?: boolean; allowNonFinite?: boolean }): Promise<number> {
  if (!target) {
    process.stdout.write('Models (stridenet info <name> for a summary):\n');
    for (const name of modelNames()) {
      const e = modelZoo[name]!;
      process.stdout.write(`  ${name.padEnd(14)} input [${e.inputShape.join(',')}], ${e.numClasses} classes: ${e.description}\n`);
    }
    return EXIT.ok;
  }
  // Building a model initialises its weights: the reference backend is enough for a summary.
  await setBackend(await createCpuBackend());
  let model: LayerModel;
  if (Object.prototype.hasOwnProperty.call(modelZoo, target)) {
    model = modelZoo[target]!.create({});
  } else if (target.endsWith('.json') && existsSync(target)) {
    const text = readTextFile('info', target);
    let arch: LayerConfig;
    try {
      arch = JSON.parse(text) as LayerConfig;
    } catch (e) {
      throw new UsageError(`${target} is not valid JSON: ${(e as Error).message}`);
    }
    model = modelFromArchitecture(arch, target);
  } else if (existsSync(target)) {
    // Architecture and weights are checked (size budget, every tensor present) before anything is allocated.
    model = await loadModelFile(weightsPathOf(target).file, { allowNonFinite: flags.allowNonFinite });
  } else {
    checkModelName(target);
    return EXIT.usage;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(model.toJSON(), null, 2)}\n` : `${model.summary()}\n`);
  model.dispose();
  return EXIT.ok;
}
