import { FormatError } from '@stridenet/core';
import { readMaybeGzip } from './files.js';

/** IDX element types by their type code (third magic byte), as defined by LeCun's MNIST page. */
export const IDX_TYPES = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
} as const;
export type IdxDtype = (typeof IDX_TYPES)[keyof typeof IDX_TYPES];

const BYTES: Record<IdxDtype, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
const CODES: Record<IdxDtype, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  data: IdxData;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** The element type and rank from an IDX magic number (first 4 bytes); a FormatError when it is not one. */
function idxMagic(bytes: Uint8Array, file: string): { dtype: IdxDtype; ndim: number } {
  const dtype = IDX_TYPES[bytes[2]! as keyof typeof IDX_TYPES];
  const ndim = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || dtype === undefined || ndim === 0) {
    const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
    throw new FormatError(
      file,
      `is not an IDX file: magic number ${hex(magic)} (expected 0x00000TNN with type T in 08,09,0b,0c,0d,0e and NN >= 1 dimensions, e.g. 0x00000803 for images, 0x00000801 for labels)`,
    );
  }
  return { dtype, ndim };
}

/** Parses IDX bytes (already gunzipped). `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file = '<bytes>'): IdxArray {
  if (bytes.length < 4) throw new FormatError(file, `is truncated: ${bytes.length} bytes, but an IDX header needs at least 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { dtype, ndim } = idxMagic(bytes, file);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new FormatError(file, `is truncated: ${bytes.length} bytes, but its header declares ${ndim} dimensions (${headerBytes} header bytes)`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const dataBytes = count * BYTES[dtype];
  const have = bytes.length - headerBytes;
  if (have < dataBytes) {
    throw new FormatError(file, `is truncated: header declares ${dims.join('x')} ${dtype} = ${dataBytes} data bytes but the file holds ${have}`);
  }
  if (have > dataBytes) {
    throw new FormatError(file, `has ${have - dataBytes} bytes past the ${dims.join('x')} ${dtype} data its header declares`);
  }
  return { dtype, dims, data: decode(bytes, headerBytes, count, dtype) };
}

function decode(bytes: Uint8Array, offset: number, n: number, dtype: IdxDtype): IdxData {
  if (dtype === 'uint8') return bytes.slice(offset, offset + n);
  if (dtype === 'int8') return new Int8Array(bytes.slice(offset, offset + n).buffer);
  // Multi-byte IDX values are big-endian; DataView reads them portably.
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * BYTES[dtype]);
  const out =
    dtype === 'int16' ? new Int16Array(n) : dtype === 'int32' ? new Int32Array(n) : dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'int16') out[i] = view.getInt16(2 * i, false);
    else if (dtype === 'int32') out[i] = view.getInt32(4 * i, false);
    else if (dtype === 'float32') out[i] = view.getFloat32(4 * i, false);
    else out[i] = view.getFloat64(8 * i, false);
  }
  return out;
}

/** Encodes an array as IDX bytes (the inverse of parseIdx); used by the subset cutter and tests. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dtype, dims, data } = array;
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new FormatError('<encodeIdx>', `data has ${data.length} elements but dims ${dims.join('x')} need ${count}`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * BYTES[dtype]);
  const view = new DataView(out.buffer);
  out[2] = CODES[dtype];
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = data[i]!;
    const at = header + i * BYTES[dtype];
    if (dtype === 'uint8') out[at] = v;
    else if (dtype === 'int8') view.setInt8(at, v);
    else if (dtype === 'int16') view.setInt16(at, v, false);
    else if (dtype === 'int32') view.setInt32(at, v, false);
    else if (dtype === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}

/**
 * The total size (header + data) an IDX header declares, from the file's first bytes; undefined
 * when they are too few to tell, a FormatError naming `file` when they are not an IDX header.
 */
export function idxDeclaredBytes(head: Uint8Array, file = '<bytes>'): number | undefined {
  if (head.length < 4) return undefined;
  const { dtype, ndim } = idxMagic(head, file);
  if (head.length < 4 + 4 * ndim) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let count = 1;
  for (let d = 0; d < ndim; d++) count *= view.getUint32(4 + 4 * d, false);
  return 4 + 4 * ndim + count * BYTES[dtype];
}

/** Reads an IDX file, raw or gzip; gunzip stops at the size the header declares. */
export function readIdxFile(file: string): IdxArray {
  return parseIdx(readMaybeGzip(file, { declaredBytes: (head) => idxDeclaredBytes(head, file) }), file);
}

/** Reads an image file (uint8, N x H x W) and checks its type and rank. */
export function readIdxImages(file: string): { images: Uint8Array; count: number; height: number; width: number } {
  const a = readIdxFile(file);
  if (a.dtype !== 'uint8' || a.dims.length !== 3) {
    throw new FormatError(file, `is IDX ${a.dtype} with dims [${a.dims.join(',')}] but an image file must be uint8 N x H x W (magic 0x00000803)`);
  }
  return { images: a.data as Uint8Array, count: a.dims[0]!, height: a.dims[1]!, width: a.dims[2]! };
}

/** Reads a label file (uint8, N) and checks its type and rank. */
export function readIdxLabels(file: string): Int32Array {
  const a = readIdxFile(file);
  if (a.dtype !== 'uint8' || a.dims.length !== 1) {
    throw new FormatError(file, `is IDX ${a.dtype} with dims [${a.dims.join(',')}] but a label file must be uint8 N (magic 0x00000801)`);
  }
  return Int32Array.from(a.data as Uint8Array);
}
