import { resolve } from 'node:path';
import { setBackend } from '@stridenet/core';
import { writeFileAtomic } from '@stridenet/core/node';
import { exportOnnx } from '@stridenet/onnx';
import { resolveBackend } from '../backends.js';
import { EXIT, UsageError } from '../errors.js';
import { loadTrained } from '../trained.js';

export interface ExportFlags {
  opset?: string;
  dynamicBatch?: boolean;
  allowNonFinite?: boolean;
}

function parseOpset(v: string | undefined): number {
  if (v === undefined) return 13;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 11 || n > 21) throw new UsageError(`--opset is '${v}' but expected an integer from 11 to 21`);
  return n;
}

/**
 * `stridenet export <run|weights|model.onnx> <out.onnx>`: the trained model as ONNX, with its
 * normalization, class names and input shape as metadata_props 'run' (so predict and eval, and
 * `stridenet import`, read it back). Written atomically: a failed export leaves no partial file.
 */
export async function exportCommand(target: string, out: string, flags: ExportFlags): Promise<number> {
  const opset = parseOpset(flags.opset);
  if (resolve(out) === resolve(target)) throw new UsageError(`the output '${out}' is the model being exported; give another file name`);
  // Export only reads the parameters: the plain JavaScript backend is enough and always there.
  const { backend } = await resolveBackend('cpu-js', '', { threads: 1 });
  await setBackend(backend);
  const trained = await loadTrained(target, { allowNonFinite: flags.allowNonFinite });
  try {
    const run = { dataset: trained.dataset, normalization: trained.normalization, classNames: trained.classNames, inputShape: trained.inputShape };
    const bytes = await exportOnnx(trained.model, { opset, dynamicBatch: flags.dynamicBatch === true, metadata: { run: JSON.stringify(run) } });
    await writeFileAtomic(out, bytes);
    process.stdout.write(`${out}: ONNX opset ${opset}, batch ${flags.dynamicBatch ? "dynamic ('batch')" : '1'}, ${bytes.length} bytes (from ${trained.file})\n`);
  } finally {
    trained.model.dispose();
  }
  return EXIT.ok;
}
