import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ArgumentError, FormatError } from '@stridenet/core';
import { DownloadError } from './errors.js';

export interface DownloadSpec {
  url: string;
  /** Expected SHA-256, 64 hex digits. */
  sha256: string;
  /**
   * What the checksum covers: the bytes as served ('file', default), or their gunzipped content
   * ('gunzip'), which stays the same when a mirror recompresses the file.
   */
  digest?: 'file' | 'gunzip';
  /** Name in the cache directory (default: the last URL path segment). */
  fileName?: string;
  /**
   * Most bytes the server may send (default DOWNLOAD_MAX_BYTES). A larger Content-Length is refused
   * before the body is read, and a body that runs past it is aborted; either way nothing stays on disk.
   */
  maxBytes?: number;
}

/** Size cap of a download whose spec names none: 1 GiB. */
export const DOWNLOAD_MAX_BYTES = 2 ** 30;

export interface DownloadOptions {
  /** Directory the file is stored in (created if missing). Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /** Abort after this many milliseconds without completing (default 10 minutes). */
  timeoutMs?: number;
  /** Replaces the global fetch (proxies, tests). */
  fetch?: typeof fetch;
}

/** `$STRIDENET_CACHE`, else `$XDG_CACHE_HOME/stridenet`, else `~/.cache/stridenet`. */
export function defaultCacheDir(): string {
  const env = process.env;
  if (env.STRIDENET_CACHE) return env.STRIDENET_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stridenet');
}

function checkSpec(spec: DownloadSpec): string {
  if (!/^[0-9a-f]{64}$/i.test(spec.sha256)) throw new ArgumentError('download', 'sha256', spec.sha256, '64 hexadecimal digits');
  let name = spec.fileName;
  if (name === undefined) {
    try {
      name = basename(new URL(spec.url).pathname);
    } catch {
      throw new ArgumentError('download', 'url', spec.url, 'an absolute http(s) URL');
    }
  }
  if (!name || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw new ArgumentError('download', 'fileName', name, 'a plain file name (no directory parts)');
  }
  if (spec.maxBytes !== undefined && !(Number.isSafeInteger(spec.maxBytes) && spec.maxBytes > 0)) {
    throw new ArgumentError('download', 'maxBytes', spec.maxBytes, 'a positive integer number of bytes');
  }
  return name;
}

/** SHA-256 of a file's bytes, or of its gunzipped content. */
export async function sha256OfFile(file: string, digest: 'file' | 'gunzip' = 'file'): Promise<string> {
  const hash = createHash('sha256');
  const sink = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb();
    },
  });
  if (digest === 'gunzip') await pipeline(createReadStream(file), createGunzip(), sink);
  else await pipeline(createReadStream(file), sink);
  return hash.digest('hex');
}

/**
 * Fetches `spec.url` into the cache directory and returns its path. A cached file whose checksum
 * matches is reused without a request. The body is streamed to a temporary file in the same
 * directory while it is hashed; only a verified file is renamed into place, so a crash, a
 * truncated body or a wrong checksum never leaves a file that a later run would trust.
 */
export async function downloadFile(spec: DownloadSpec, options: DownloadOptions = {}): Promise<string> {
  const name = checkSpec(spec);
  const digest = spec.digest ?? 'file';
  const expected = spec.sha256.toLowerCase();
  const dir = options.cacheDir ?? defaultCacheDir();
  const target = join(dir, name);
  if (existsSync(target)) {
    try {
      if ((await sha256OfFile(target, digest)) === expected) return target;
    } catch {
      // An unreadable or corrupt cached copy is replaced like a mismatching one.
    }
  }
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 600_000);
  try {
    let res: Response;
    try {
      res = await fetchImpl(spec.url, { signal, redirect: 'follow' });
    } catch (e) {
      throw new DownloadError(spec.url, `request failed (${describe(e)})`);
    }
    if (!res.ok) throw new DownloadError(spec.url, `server answered HTTP ${res.status} ${res.statusText}`.trim(), res.status);
    if (!res.body) throw new DownloadError(spec.url, 'response has no body', res.status);
    const maxBytes = spec.maxBytes ?? DOWNLOAD_MAX_BYTES;
    const tooBig = (size: string) => new DownloadError(spec.url, `${size} is over the ${maxBytes}-byte limit for this file (maxBytes); the download was discarded`, res.status);
    const announced = res.headers.has('content-length') ? Number(res.headers.get('content-length')) : undefined;
    if (announced !== undefined && announced > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw tooBig(`Content-Length ${announced}`);
    }

    const hash = createHash('sha256');
    let received = 0;
    let over = false;
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (received > maxBytes) {
          over = true;
          cb(new Error('size limit reached'));
          return;
        }
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), tee, createWriteStream(tmp, { flags: 'wx' }));
    } catch (e) {
      if (over) throw tooBig(`the body (more than ${maxBytes} bytes received)`);
      throw new DownloadError(spec.url, `transfer failed after ${received} bytes (${describe(e)})`, res.status);
    }
    const declared = Number(res.headers.get('content-length'));
    if (res.headers.has('content-length') && !res.headers.has('content-encoding') && declared !== received) {
      throw new DownloadError(spec.url, `body is ${received} bytes but Content-Length declared ${declared}`, res.status);
    }
    let actual = hash.digest('hex');
    if (digest === 'gunzip') {
      // A second pass over the local temp file is cheap next to the transfer and keeps one code path.
      try {
        actual = await sha256OfFile(tmp, 'gunzip');
      } catch (e) {
        throw new FormatError(spec.url, `is not a valid gzip stream (${describe(e)}); the download was discarded`);
      }
    }
    if (actual !== expected) {
      throw new FormatError(
        spec.url,
        `SHA-256${digest === 'gunzip' ? ' of the gunzipped content' : ''} is ${actual} but expected ${expected}; the download was discarded`,
      );
    }
    renameSync(tmp, target);
    return target;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err?.cause ? `: ${err.cause.code ?? err.cause.message}` : '';
  return `${err?.message ?? String(e)}${cause}`;
}
