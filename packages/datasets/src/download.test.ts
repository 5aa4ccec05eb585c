import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FormatError } from '@stridenet/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, sha256OfFile } from './download.js';
import { DownloadError } from './errors.js';
import { pattern, tempDir } from './test-files.js';

const payload = pattern(200_000, 3);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gz = gzipSync(payload);
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url!);
    if (req.url === '/data.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      // Several writes, so the client sees more than one chunk.
      for (let i = 0; i < payload.length; i += 50_000) res.write(payload.subarray(i, i + 50_000));
      res.end();
    } else if (req.url === '/data.gz') {
      res.end(gz);
    } else if (req.url === '/chunked.bin') {
      // No Content-Length: the cap must stop the stream itself.
      for (let i = 0; i < payload.length; i += 50_000) res.write(payload.subarray(i, i + 50_000));
      res.end();
    } else if (req.url === '/short.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 1000), () => res.socket?.destroy());
    } else {
      res.writeHead(404).end('no');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  requests.length = 0;
});
afterEach(() => cleanup());

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('downloadFile', () => {
  it('downloads, verifies and then serves from the cache without a request', async () => {
    const path = await downloadFile({ url: `${base}/data.bin`, sha256: sha(payload) }, { cacheDir: dir });
    expect(path).toBe(join(dir, 'data.bin'));
    expect(new Uint8Array(readFileSync(path))).toEqual(payload);
    expect(await downloadFile({ url: `${base}/data.bin`, sha256: sha(payload).toUpperCase() }, { cacheDir: dir })).toBe(path);
    expect(requests).toEqual(['/data.bin']);
    expect(leftovers()).toEqual([]);
  });

  it('replaces a corrupt cached copy', async () => {
    writeFileSync(join(dir, 'data.bin'), 'stale');
    await downloadFile({ url: `${base}/data.bin`, sha256: sha(payload) }, { cacheDir: dir });
    expect(requests).toHaveLength(1);
    expect(await sha256OfFile(join(dir, 'data.bin'))).toBe(sha(payload));
  });

  it('on a checksum mismatch throws, keeps no file and no temp file', async () => {
    const wrong = '0'.repeat(64);
    const p = downloadFile({ url: `${base}/data.bin`, sha256: wrong }, { cacheDir: dir });
    await expect(p).rejects.toBeInstanceOf(FormatError);
    await expect(downloadFile({ url: `${base}/data.bin`, sha256: wrong }, { cacheDir: dir })).rejects.toThrow(
      new RegExp(`data.bin: SHA-256 is ${sha(payload)} but expected ${wrong}; the download was discarded`),
    );
    expect(existsSync(join(dir, 'data.bin'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('can check the gunzipped content, so recompressed mirrors still verify', async () => {
    const path = await downloadFile({ url: `${base}/data.gz`, sha256: sha(payload), digest: 'gunzip', fileName: 'x.gz' }, { cacheDir: dir });
    expect(new Uint8Array(readFileSync(path))).toEqual(new Uint8Array(gz));
    expect(await sha256OfFile(path, 'gunzip')).toBe(sha(payload));
    await expect(downloadFile({ url: `${base}/data.gz`, sha256: sha(gz), digest: 'gunzip', fileName: 'y.gz' }, { cacheDir: dir })).rejects.toThrow(
      /SHA-256 of the gunzipped content is/,
    );
    await expect(downloadFile({ url: `${base}/data.bin`, sha256: sha(payload), digest: 'gunzip', fileName: 'z.gz' }, { cacheDir: dir })).rejects.toThrow(
      /is not a valid gzip stream/,
    );
    expect(leftovers()).toEqual([]);
  });

  it('reports HTTP errors and cut-off bodies as DownloadError, leaving nothing behind', async () => {
    const notFound = downloadFile({ url: `${base}/nope.bin`, sha256: sha(payload) }, { cacheDir: dir });
    await expect(notFound).rejects.toBeInstanceOf(DownloadError);
    await expect(downloadFile({ url: `${base}/nope.bin`, sha256: sha(payload) }, { cacheDir: dir })).rejects.toThrow(/nope.bin: server answered HTTP 404/);
    await expect(downloadFile({ url: `${base}/short.bin`, sha256: sha(payload) }, { cacheDir: dir })).rejects.toThrow(DownloadError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects a malformed checksum or file name before any request', async () => {
    await expect(downloadFile({ url: `${base}/data.bin`, sha256: 'abc' }, { cacheDir: dir })).rejects.toThrow(/sha256 is 'abc' but expected 64 hexadecimal digits/);
    await expect(downloadFile({ url: `${base}/data.bin`, sha256: sha(payload), fileName: '../x' }, { cacheDir: dir })).rejects.toThrow(/fileName is '..\/x'/);
    expect(requests).toEqual([]);
  });
  it('caps the size: a large Content-Length is refused up front, an endless body is cut off; nothing stays on disk', async () => {
    await expect(downloadFile({ url: `${base}/data.bin`, sha256: sha(payload), maxBytes: 100_000 }, { cacheDir: dir })).rejects.toThrow(
      `download ${base}/data.bin: Content-Length 200000 is over the 100000-byte limit for this file (maxBytes); the download was discarded`,
    );
    await expect(downloadFile({ url: `${base}/chunked.bin`, sha256: sha(payload), maxBytes: 120_000 }, { cacheDir: dir })).rejects.toThrow(
      /chunked\.bin: the body \(more than 120000 bytes received\) is over the 120000-byte limit/,
    );
    expect(readdirSync(dir)).toEqual([]);
    expect(await downloadFile({ url: `${base}/chunked.bin`, sha256: sha(payload), maxBytes: 200_000 }, { cacheDir: dir })).toBe(join(dir, 'chunked.bin'));
    await expect(downloadFile({ url: `${base}/data.bin`, sha256: sha(payload), maxBytes: -1 }, { cacheDir: dir })).rejects.toThrow(/maxBytes is -1/);
  });
});
