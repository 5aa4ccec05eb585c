import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FormatError } from '@stridenet/core';

/** True when the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads a file, gunzipping it when it is gzip (detected by content, not by name, so a
 * misnamed file still loads and a `.gz` that is not gzip gets a clear error).
 */
export function readMaybeGzip(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new FormatError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (isGzip(raw)) {
    try {
      return new Uint8Array(gunzipSync(raw));
    } catch (e) {
      throw new FormatError(file, `is not a valid gzip stream (${(e as Error).message}); the file may be truncated`);
    }
  }
  if (file.endsWith('.gz')) throw new FormatError(file, 'has a .gz name but does not start with the gzip magic number 1f 8b');
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}
