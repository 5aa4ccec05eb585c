import { evaluate, setBackend } from '@stridenet/core';
import { resolveBackend } from '../backends.js';
import { parsePositiveInt, parseThreads } from '../config.js';
import { loadData } from '../data.js';
import { EXIT, UsageError } from '../errors.js';
import { compileForInference, loadTrained } from '../trained.js';

export interface EvalFlags {
  dataset?: string;
  dataDir?: string;
  backend?: string;
  threads?: string;
  batchSize?: string;
  allowNonFinite?: boolean;
  json?: boolean;
}

/** `stridenet eval <run|weights>`: loss, accuracy and confusion matrix on a test split. */
export async function evalCommand(target: string, flags: EvalFlags): Promise<number> {
  // Every flag is checked before a backend starts or a file is read.
  const threads = parseThreads(flags.threads);
  const batchSize = parsePositiveInt('--batch-size', flags.batchSize, 256);
  const { backend, name } = await resolveBackend(flags.backend ?? 'auto', '', { threads });
  await setBackend(backend);
  const trained = await loadTrained(target, { allowNonFinite: flags.allowNonFinite });
  const datasetName = flags.dataset ?? trained.dataset ?? 'fashion-mnist-small';
  const data = await loadData(datasetName, { dir: flags.dataDir, stats: trained.normalization });
  const split = data.test ?? data.train;
  const shape = trained.model.inputShape;
  if (shape.length !== 3 || shape.some((d, i) => d !== data.shape[i])) {
    throw new UsageError(`the model expects input [${shape.join(',')}] but ${datasetName}'s images are [${data.shape.join(',')}]`);
  }
  const model = await compileForInference(trained.model);
  const ev = await evaluate(model, split, { batchSize });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file: trained.file, dataset: datasetName, split: data.test ? 'test' : 'train', backend: name, count: ev.count, loss: ev.loss, accuracy: ev.accuracy, confusion: ev.confusion.toArray() })}\n`);
  } else {
    process.stdout.write(`${trained.file} on ${datasetName} (${data.test ? 'test' : 'train'} split, ${ev.count} images, backend ${name})\n`);
    process.stdout.write(`loss ${ev.loss.toFixed(4)}  accuracy ${(ev.accuracy * 100).toFixed(2)}%\n\nconfusion matrix (rows: true class, columns: predicted)\n`);
    process.stdout.write(`${ev.confusion.toString(data.classNames)}\n`);
  }
  model.dispose();
  trained.model.dispose();
  return EXIT.ok;
}
