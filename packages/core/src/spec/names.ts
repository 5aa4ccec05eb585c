/**
 * The spellings of one kernel name, all derived from its PascalCase form: words split at capitals,
 * a digit group with its unit ('2D') joined to the word before it.
 * Conv2DBackpropFilter: camel conv2dBackpropFilter, kebab conv2d-backprop-filter,
 * C++ prepareConv2DBackpropFilter, AssemblyScript export conv2dBackpropFilter.
 */
export interface KernelSpellings {
  readonly pascal: string;
  readonly camel: string;
  /** File name stem of the kernel in every backend (src/kernels/<kebab>.ts, ...). */
  readonly kebab: string;
  /** Native prepare function (src/native/kernels/<kebab>.cc). */
  readonly cppPrepare: string;
  /** Main AssemblyScript export of assembly/kernels/<kebab>.ts. */
  readonly asExport: string;
}

export function kernelSpellings(name: string): KernelSpellings {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw new RangeError(`kernel name '${name}' is not PascalCase (a capital, then letters and digits)`);
  }
  const words: string[] = [];
  for (const token of name.match(/[A-Z][a-z]*|\d+[A-Z]?/g) ?? []) {
    // A digit group ('2D') belongs to the word before it: conv2d, max-pool2d.
    if (/^\d/.test(token) && words.length > 0) words[words.length - 1] += token.toLowerCase();
    else words.push(token.toLowerCase());
  }
  const camel = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  return Object.freeze({ pascal: name, camel, kebab: words.join('-'), cppPrepare: `prepare${name}`, asExport: camel });
}
