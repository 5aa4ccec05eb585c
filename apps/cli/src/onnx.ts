import { readFile, stat } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import type { LayerModel } from '@stridenet/core';
import { decodeModel, importOnnx } from '@stridenet/onnx';

/** An existing regular file named *.onnx: predict, eval, export and import read it as ONNX. */
export function isOnnxFile(target: string): boolean {
  return /\.onnx$/i.test(target) && existsSync(target) && statSync(target).isFile();
}

/**
 * An ONNX model file as a stridenet model plus its metadata_props (where `stridenet export` keeps
 * the 'run' entry: normalization, class names, input shape). A truncated or malformed file, or an
 * op importOnnx does not read, is a FormatError naming the file.
 */
export async function readOnnxFile(file: string, name?: string): Promise<{ model: LayerModel; metadata: Record<string, string> }> {
  const st = await stat(file);
  if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EISDIR', syscall: 'open', path: file });
  const bytes = new Uint8Array(await readFile(file));
  const { metadata } = decodeModel(bytes, file);
  const model = importOnnx(bytes, { file, ...(name !== undefined ? { name } : {}) });
  return { model, metadata };
}
