import { ArgumentError } from '../errors.js';

/**
 * How the tensor names of a weights file become the model's parameter names:
 * - 'stridenet' (default): the names are the model's own (`model.parameters()` names);
 * - 'pytorch': a PyTorch `state_dict` (`running_mean` / `running_var` become stridenet's
 *   `runningMean` / `runningVar`; `num_batches_tracked` is ignored with a note), everything else
 *   unchanged: PyTorch's `weight` / `bias` names and layouts (conv [out, in, kh, kw], linear
 *   [out, in]) are stridenet's, and the zoo's ResNets use torchvision's layer names;
 * - a function from a file name to the parameter name, or `null` to ignore that tensor.
 */
export type WeightNames = 'stridenet' | 'pytorch' | ((fileName: string) => string | null);

/** What one tensor of the file became. */
export interface NameMapping {
  /** The model's parameter name, or null when the tensor is ignored. */
  target: string | null;
  /** Why an ignored tensor was ignored. */
  note?: string;
}

const NUM_BATCHES_NOTE =
  "PyTorch's batch-norm step counter, not needed: stridenet's BatchNorm2D always uses its fixed momentum (PyTorch's momentum=None cumulative average is not supported)";

function pytorchName(name: string): NameMapping {
  const dot = name.lastIndexOf('.');
  const last = name.slice(dot + 1);
  const prefix = name.slice(0, dot + 1);
  if (last === 'num_batches_tracked') return { target: null, note: NUM_BATCHES_NOTE };
  if (last === 'running_mean') return { target: `${prefix}runningMean` };
  if (last === 'running_var') return { target: `${prefix}runningVar` };
  return { target: name };
}

/** Checks `names` and returns the mapping it describes (throws an ArgumentError for a bad value). */
export function nameMapper(op: string, names: unknown): (fileName: string) => NameMapping {
  if (names === undefined || names === 'stridenet') return (name) => ({ target: name });
  if (names === 'pytorch') return pytorchName;
  if (typeof names === 'function') {
    return (name) => {
      const target: unknown = (names as (n: string) => unknown)(name);
      if (target === null) return { target: null, note: 'the names function returned null' };
      if (typeof target !== 'string' || target.length === 0) {
        throw new ArgumentError(op, 'names', names, `a function returning a parameter name or null, but it returned ${JSON.stringify(target) ?? String(target)} for '${name}'`);
      }
      return { target };
    };
  }
  throw new ArgumentError(op, 'names', names, "'stridenet', 'pytorch' or a function (file tensor name) => parameter name | null");
}

/** What loading a weights file did, returned by loadStateDict. */
export interface WeightsReport {
  /** The file's safetensors metadata. */
  metadata: Record<string, string>;
  /** Model parameter names given new values. */
  loaded: string[];
  /** File tensors left out on purpose (e.g. PyTorch's num_batches_tracked), with why. */
  ignored: { name: string; note: string }[];
  /** Model parameters the file has no tensor for (kept as they were; only when strict is false). */
  missing: string[];
  /** File tensors that match no model parameter (skipped; only when strict is false). */
  unexpected: string[];
}
