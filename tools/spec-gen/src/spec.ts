// Loads the kernel spec from a checkout (the real one, or a temporary copy in the generator's own
// test), so the generator always reads the data it is about to write from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';

export type EncodingField = string | readonly [string, number | 'rest'];

export interface KernelEntry {
  readonly doc: string;
  readonly inputs: readonly string[];
  readonly plan?: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly outputs: readonly string[];
  readonly writes?: readonly string[];
}

export interface Spellings {
  readonly pascal: string;
  readonly camel: string;
  readonly kebab: string;
  readonly cppPrepare: string;
  readonly asExport: string;
}

export interface LoadedSpec {
  readonly kernels: Readonly<Record<string, KernelEntry>>;
  readonly enums: Readonly<Record<string, readonly string[]>>;
  readonly encodings: Readonly<Record<string, readonly EncodingField[]>>;
  readonly spell: (name: string) => Spellings;
}

/** The spec module's path inside a checkout (the file a new kernel's entry goes into). */
export const SPEC_FILE = 'packages/core/src/spec/kernels.ts';

/**
 * Evaluates one spec module of the checkout. The spec modules import nothing at run time, so each is
 * transpiled on its own and run in a fresh context: no module cache, so a changed copy is read anew.
 */
function evaluate(root: string, file: string): Record<string, unknown> {
  const source = readFileSync(join(root, file), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} as Record<string, unknown> };
  const require = (id: string) => {
    throw new Error(`spec-gen: ${file} imports '${id}' at run time; spec modules must only import types`);
  };
  runInNewContext(js, { module, exports: module.exports, require, Object, RangeError }, { filename: join(root, file) });
  return module.exports;
}

export async function loadSpec(root: string): Promise<LoadedSpec> {
  const data = evaluate(root, SPEC_FILE) as { KERNELS: LoadedSpec['kernels']; ENUMS: LoadedSpec['enums']; PLAN_ENCODINGS: LoadedSpec['encodings'] };
  const names = evaluate(root, 'packages/core/src/spec/names.ts') as { kernelSpellings: (n: string) => Spellings };
  return { kernels: data.KERNELS, enums: data.ENUMS, encodings: data.PLAN_ENCODINGS, spell: names.kernelSpellings };
}

/** PascalCase of a camelCase word (leakyRelu -> LeakyRelu). */
export const pascal = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/** UPPER_SNAKE of a camelCase word (leakyRelu -> LEAKY_RELU, binaryOp -> BINARY_OP, conv2d -> CONV2D). */
export const upperSnake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Word offset of each field of an encoding, and its length (undefined with a variable-length tail). */
export function offsets(fields: readonly EncodingField[]): { fields: [string, number][]; length?: number } {
  const out: [string, number][] = [];
  let at = 0;
  for (const f of fields) {
    if (typeof f === 'string') {
      out.push([f, at++]);
      continue;
    }
    out.push([f[0], at]);
    if (f[1] === 'rest') return { fields: out };
    at += f[1];
  }
  return { fields: out, length: at };
}
