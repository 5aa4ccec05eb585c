import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { FormatError } from '@stridenet/core';

/**
 * Largest dataset file read into memory (after gunzip): 1 GiB. Every real file is far smaller
 * (MNIST's training images are 47 MB, CIFAR-100's train.bin 154 MB, EMNIST ByClass 547 MB); a
 * format that declares its size (IDX) is held to that declaration, which is tighter still.
 */
export const DATASET_LIMITS = Object.freeze({ maxFileBytes: 2 ** 30 });

/**
 * Most a gzip file may expand: 100-fold its compressed size, plus 16 MiB. Image data compresses
 * 1-10x (MNIST 4.7x, CIFAR 1.1x); a gzip bomb 1000x, so a 1.4 MB one can claim at most 156 MB.
 */
export const GZIP_MAX_RATIO = 100;
const GZIP_SLACK_BYTES = 16 * 1024 * 1024;

/** Compressed bytes inflated to read a gzip file's leading header: at most ~1000x that comes out. */
const HEAD_INPUT_BYTES = 16 * 1024;
const HEAD_OUTPUT_BYTES = 32 * 1024 * 1024;

/** True when the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export interface ReadLimits {
  /** Most bytes the (gunzipped) content may have; default DATASET_LIMITS.maxFileBytes. */
  maxBytes?: number;
  /**
   * The whole content's size as the format's header declares it, from the first bytes (undefined
   * when the head is too short to tell; it may throw for a head that is not the format). Gunzip
   * then stops there, so a gzip bomb never expands past what its own header claims.
   */
  declaredBytes?: (head: Uint8Array) => number | undefined;
}

function isBufferTooLarge(e: unknown): boolean {
  return e instanceof RangeError || (e as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE';
}

/** The first bytes of a gzip stream's content, inflating only a bounded prefix of the input. */
function gunzipHead(raw: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(raw.subarray(0, HEAD_INPUT_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: HEAD_OUTPUT_BYTES }));
  } catch {
    return new Uint8Array(0);
  }
}

/** Reads a regular file whole, refusing devices, pipes, directories and files over `maxBytes`. */
export function readRegularFile(file: string, maxBytes: number = DATASET_LIMITS.maxFileBytes): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FormatError(file, 'is a directory, expected a data file');
    if (!st.isFile()) throw new FormatError(file, 'is not a regular file (a device, pipe or socket?); only regular files are read');
    if (st.size > maxBytes) throw new FormatError(file, `is ${st.size} bytes, over the ${maxBytes}-byte limit for one dataset file`);
    return readFileSync(fd);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new FormatError(file, 'is a directory, expected a data file');
    throw new FormatError(file, `cannot be read (${code ?? (e as Error).message})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Reads a file, gunzipping it when it is gzip (detected by content, not by name, so a
 * misnamed file still loads and a `.gz` that is not gzip gets a clear error). Only regular files
 * are read, and neither the file nor its gunzipped content may exceed the limit: the size its
 * header declares (`declaredBytes`) if any, never more than `maxBytes`.
 */
export function readMaybeGzip(file: string, limits: ReadLimits = {}): Uint8Array {
  const maxBytes = limits.maxBytes ?? DATASET_LIMITS.maxFileBytes;
  const raw = readRegularFile(file, maxBytes);
  if (!isGzip(raw)) {
    if (file.endsWith('.gz')) throw new FormatError(file, 'has a .gz name but does not start with the gzip magic number 1f 8b');
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }
  const declared = limits.declaredBytes?.(gunzipHead(raw));
  if (declared !== undefined && declared > maxBytes) {
    throw new FormatError(file, `declares ${declared} bytes of content, over the ${maxBytes}-byte limit for one dataset file`);
  }
  const expansion = GZIP_MAX_RATIO * raw.length + GZIP_SLACK_BYTES;
  if (declared !== undefined && declared > expansion) {
    throw new FormatError(
      file,
      `declares ${declared} bytes of content but is ${raw.length} bytes compressed, more than the ${GZIP_MAX_RATIO}-fold expansion real data shows (a gzip bomb?); refused`,
    );
  }
  const limit = Math.min(declared ?? maxBytes, maxBytes, expansion);
  try {
    return new Uint8Array(gunzipSync(raw, { maxOutputLength: Math.max(1, limit) }));
  } catch (e) {
    if (isBufferTooLarge(e)) {
      throw new FormatError(
        file,
        `gunzips to more than ${limit} bytes (${limit === declared ? 'the size its header declares' : limit === maxBytes ? 'the limit for one dataset file' : `${GZIP_MAX_RATIO} times its compressed size, plus 16 MiB`}): a gzip bomb or a damaged file; refused`,
      );
    }
    throw new FormatError(file, `is not a valid gzip stream (${(e as Error).message}); the file may be truncated`);
  }
}
