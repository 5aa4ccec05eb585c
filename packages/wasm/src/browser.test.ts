// Bundles test/browser/page.ts with esbuild, serves it on 127.0.0.1 (with and without the COOP/COEP
// headers that make a page cross-origin isolated) and runs it in Debian's headless Chromium.
// Needs /usr/bin/chromium (or STRIDENET_CHROMIUM); STRIDENET_SKIP_BROWSER=1 skips it explicitly.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const executablePath = process.env.STRIDENET_CHROMIUM ?? '/usr/bin/chromium';
const skip = process.env.STRIDENET_SKIP_BROWSER === '1';

import type { PageReport as Report } from '../test/browser/page.js';

// Skipped only when STRIDENET_SKIP_BROWSER=1 is set by hand (machines without a browser); CI never sets it.
describe.skipIf(skip)('wasm backend in headless Chromium', () => {
  let server: Server;
  let browser: BrowserContext;
  let origin: string;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(executablePath)) {
      throw new Error(`browser test: no Chromium at ${executablePath}; install Debian's chromium, set STRIDENET_CHROMIUM, or STRIDENET_SKIP_BROWSER=1`);
    }
    const out = await build({
      entryPoints: [fileURLToPath(new URL('../test/browser/page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@stridenet/source'],
      write: false,
      logLevel: 'silent',
    });
    const js = out.outputFiles[0]!.contents;
    const html = '<!doctype html><meta charset="utf-8"><title>stridenet wasm</title><script type="module" src="page.js"></script>';
    server = createServer((req, res) => {
      const isolated = req.url?.startsWith('/isolated/') ?? false;
      const headers: Record<string, string> = isolated
        ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
        : {};
      if (req.url?.endsWith('/page.js')) res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(js);
      else if (req.url?.endsWith('/')) res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    profile = mkdtempSync(join(tmpdir(), 'stridenet-chromium-'));
    // A fresh profile per run; playwright passes it to Chromium as --user-data-dir.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function report(path: string): Promise<Report> {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('pageerror', (e) => logs.push(String(e)));
    try {
      await page.goto(`${origin}${path}`);
      await page.waitForFunction(() => 'stridenetReport' in globalThis, undefined, { timeout: 60_000 });
      const r = await page.evaluate(() => (globalThis as unknown as { stridenetReport: Promise<Report> }).stridenetReport);
      if (r.error || logs.length) throw new Error(`page failed: ${r.error ?? ''} ${logs.join('\n')}`);
      return r;
    } finally {
      await page.close();
    }
  }

  function failures(r: Report): string[] {
    return r.runs.flatMap((run) => [
      ...run.results.filter((x) => !x.ok).map((x) => `threads ${run.threads}: ${x.name}: ${x.maxError} > ${x.tolerance}`),
      ...run.conformance.failures.map((f) => `threads ${run.threads}: conformance ${f}`),
    ]);
  }

  it('cross-origin isolated: runs every check on two threads and on one', async () => {
    const r = await report('/isolated/');
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.runs.map((x) => x.threads)).toEqual([2, 1]);
    const names = r.runs[0]!.results.map((x) => x.name.split(' ')[0]);
    for (const k of ['conv2d', 'conv2d-backprop-input', 'conv2d-backprop-filter', 'max-pool2d', 'max-pool2d-grad', 'avg-pool2d', 'avg-pool2d-grad']) {
      expect(names).toContain(k);
    }
    for (const run of r.runs) expect(run.conformance.total).toBeGreaterThan(400);
    expect(failures(r)).toEqual([]);
  }, 120_000);

  it('without isolation: falls back to one thread and says why', async () => {
    const r = await report('/plain/');
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.runs[0]!.threads).toBe(1);
    expect(r.runs[0]!.notes.join(' ')).toMatch(/not cross-origin isolated/);
    expect(failures(r)).toEqual([]);
  }, 120_000);
});
