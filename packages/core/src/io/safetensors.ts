import { FormatError } from '../errors.js';

/**
 * safetensors (Hugging Face): 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * then the raw little-endian tensor bytes; offsets are relative to the end of the header.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** Bigger headers are refused before parsing (the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** A view into the file's bytes (not copied). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** In file order. */
  tensors: Map<string, SafetensorsEntry>;
}

export interface SafetensorsInput {
  name: string;
  shape: readonly number[];
  /**
   * Float32Array is written as F32; Int32Array as I32; Uint8Array as U8; Float64Array as F64; BigInt64Array as I64;
   * Uint16Array as U16, or as the half-precision bits it holds with `dtype` 'F16' / 'BF16'.
   */
  data: Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array | Uint16Array;
  /** Only with Uint16Array data: its values are F16 or BF16 bit patterns (JavaScript has no 16-bit float array). */
  dtype?: 'F16' | 'BF16';
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf({ name, data, dtype }: SafetensorsInput): SafetensorsDtype {
  if (dtype !== undefined) {
    if (data instanceof Uint16Array && (dtype === 'F16' || dtype === 'BF16')) return dtype;
    throw new FormatError('safetensors', `tensor '${name}' has dtype ${JSON.stringify(dtype)} but expected 'F16' or 'BF16' with Uint16Array data (other dtypes follow the array type)`);
  }
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint8Array) return 'U8';
  if (data instanceof BigInt64Array) return 'I64';
  throw new FormatError('safetensors', `cannot write ${Object.prototype.toString.call(data)}; expected Float32Array, Float64Array, Int32Array, Uint8Array, BigInt64Array or Uint16Array`);
}

/** Serialises tensors (in the given order, data 8-byte aligned) with optional string metadata. */
export function encodeSafetensors(tensors: readonly SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new FormatError('safetensors', `metadata '${k}' is ${typeof v} but safetensors metadata values must be strings`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name) || t.name.length === 0) {
      throw new FormatError('safetensors', `tensor name '${t.name}' is empty, reserved or repeated`);
    }
    seen.add(t.name);
    const dtype = dtypeOf(t);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || n !== t.data.length) {
      throw new FormatError('safetensors', `tensor '${t.name}' has ${t.data.length} values but shape [${t.shape.join(',')}]`);
    }
    const size = n * DTYPE_BYTES[dtype];
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (allowed by the format) so the data starts 8-byte aligned.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (littleEndian) out.set(bytes, at);
    else writeSwapped(bytes, DTYPE_BYTES[dtypeOf(t)], out, at);
    at += bytes.length;
  }
  return out;
}

function writeSwapped(src: Uint8Array, width: number, dst: Uint8Array, at: number): void {
  for (let i = 0; i < src.length; i += width) for (let j = 0; j < width; j++) dst[at + i + j] = src[i + width - 1 - j]!;
}

/**
 * Parses and validates a safetensors file: header length, JSON, dtypes, shapes, offsets (in range,
 * sized to the shape, non-overlapping, covering the data without holes). `file` names the source
 * in every error.
 */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors data'): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new FormatError(file, problem);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array of file bytes, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen64} is larger than the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const headerLen = Number(headerLen64);
  if (headerLen < 2) fail(`header length is ${headerLen} but a JSON header needs at least 2 bytes`);
  if (8 + headerLen > bytes.length) fail(`truncated: header length says ${headerLen} bytes but only ${bytes.length - 8} follow`);
  const headerBytes = bytes.subarray(8, 8 + headerLen);
  if (headerBytes[0] !== 0x7b) fail(`header does not start with '{' (byte 8 is 0x${(headerBytes[0] ?? 0).toString(16)}): not a safetensors file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header JSON is not an object');
  // JSON.parse keeps the last of repeated keys: a second 'weight' entry would silently win.
  const repeated = firstDuplicateKey(headerBytes);
  if (repeated) fail(`header names ${repeated.where} twice; every key must be unique`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsEntry>();
  const spans: { begin: number; end: number; name: string }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ '${k}' is ${typeof v} but expected a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== 'object') fail(`tensor '${name}' entry is not an object`);
    const dtype = info.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      fail(`tensor '${name}' has unknown dtype ${JSON.stringify(info.dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has shape ${JSON.stringify(shape)} but expected an array of non-negative integers`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)} but expected [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor '${name}' has data_offsets [${begin},${end}] with end before begin`);
    if (end > dataLen) fail(`truncated or out of range: tensor '${name}' ends at data byte ${end} but the data section has ${dataLen} bytes`);
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    const want = n * DTYPE_BYTES[dtype];
    if (end - begin !== want) {
      fail(`tensor '${name}' spans ${end - begin} bytes but ${dtype} [${(shape as number[]).join(',')}] needs ${want}`);
    }
    spans.push({ begin, end, name });
    tensors.set(name, { name, dtype, shape: [...(shape as number[])], bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin < cursor) fail(`tensor '${s.name}' data [${s.begin},${s.end}] overlaps the previous tensor (which ends at ${cursor})`);
    if (s.begin > cursor) fail(`data bytes [${cursor},${s.begin}) before tensor '${s.name}' belong to no tensor`);
    cursor = s.end;
  }
  if (cursor !== dataLen) fail(`data section has ${dataLen} bytes but tensors cover only ${cursor} (trailing bytes)`);
  return { metadata, tensors };
}

/**
 * The first key that repeats inside one object of a JSON text (already known to parse), with where
 * it sits: "tensor 'w'" at the top level, "metadata key 'k'" inside __metadata__, "key 'k'" deeper.
 */
function firstDuplicateKey(json: Uint8Array): { key: string; where: string } | undefined {
  const text = new TextDecoder().decode(json);
  // One entry per open container: the keys seen so far (null for arrays) and the key it sits under.
  const stack: { keys: Set<string> | null; under: string | undefined }[] = [];
  let lastKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = JSON.parse(text.slice(i, j + 1)) as string;
      let k = j + 1;
      while (/\s/.test(text[k] ?? '')) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top?.keys) {
        if (top.keys.has(str)) {
          const where = stack.length === 1 ? `tensor '${str}'` : stack.length === 2 && top.under === '__metadata__' ? `metadata key '${str}'` : `key '${str}'`;
          return { key: str, where };
        }
        top.keys.add(str);
        lastKey = str;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      stack.push({ keys: ch === '{' ? new Set() : null, under: lastKey });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    }
  }
  return undefined;
}

/** An entry's values as float32 (F32 copied; F64/F16/BF16 converted). Other dtypes are refused. */
export function entryToFloat32(entry: SafetensorsEntry, file = 'safetensors data'): Float32Array {
  const n = entry.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const view = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
  switch (entry.dtype) {
    case 'F32':
      if (littleEndian && entry.bytes.byteOffset % 4 === 0) out.set(new Float32Array(entry.bytes.buffer, entry.bytes.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case 'BF16':
      // bfloat16 is the top half of a float32.
      for (let i = 0; i < n; i++) {
        bf16Bits[0] = view.getUint16(i * 2, true) << 16;
        out[i] = bf16Float[0]!;
      }
      return out;
    default:
      throw new FormatError(file, `tensor '${entry.name}' is ${entry.dtype} but expected a float dtype (F32, F64, F16, BF16)`);
  }
}

const bf16Bits = new Uint32Array(1);
const bf16Float = new Float32Array(bf16Bits.buffer);

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
