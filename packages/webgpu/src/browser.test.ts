// Runs the conv/pool (and every other) kernel case in headless chromium on its WebGPU adapter
// (SwiftShader without a GPU): the bundle is built with esbuild and served from 127.0.0.1.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserReport } from './browser/entry.js';

const executablePath = process.env.STRIDENET_CHROMIUM ?? '/usr/bin/chromium';
const entry = fileURLToPath(new URL('./browser/entry.ts', import.meta.url));
// SwiftShader is slow (about 70 s for every case on 2 CPUs): conv and pool by default,
// STRIDENET_WEBGPU_BROWSER_GROUPS=all (or a comma list of case groups) for more.
const groupsEnv = process.env.STRIDENET_WEBGPU_BROWSER_GROUPS ?? 'conv,pool';
const query = groupsEnv === 'all' ? '' : `?groups=${encodeURIComponent(groupsEnv)}`;

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@stridenet/source'],
    loader: { '.wgsl': 'text' },
    external: ['webgpu'],
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

describe('headless chromium (navigator.gpu)', () => {
  let server: Server;
  let browser: BrowserContext;
  let profile: string;
  let origin: string;

  beforeAll(async () => {
    if (!existsSync(executablePath)) {
      throw new Error(`no chromium at ${executablePath}: apt-get install chromium (scripts/setup-ci.sh --browser) or set STRIDENET_CHROMIUM`);
    }
    const js = await bundle();
    const html = '<!doctype html><meta charset="utf-8"><title>stridenet webgpu</title><script type="module" src="/entry.js"></script>';
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/entry.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    profile = await mkdtemp(join(tmpdir(), 'stridenet-chromium-'));
    // A fresh profile per run (the persistent-context form is how Playwright takes --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it(`passes the kernel cases (${groupsEnv}) without leaks`, async () => {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(e.message));
    await page.goto(`${origin}/${query}`);
    await page.waitForFunction(() => 'stridenetReport' in globalThis, undefined, { timeout: 60_000 });
    const report = (await page.evaluate(() => (globalThis as unknown as { stridenetReport: Promise<unknown> }).stridenetReport)) as BrowserReport;
    await page.close();
    expect(report.error, `${report.error}\n${logs.join('\n')}`).toBeUndefined();
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    expect(failed).toEqual([]);
    const groups = new Set(report.results.map((r) => r.group));
    const wanted = groupsEnv === 'all' ? ['conv', 'pool', 'matmul', 'elementwise', 'reduce', 'norm', 'layout', 'optimizer'] : groupsEnv.split(',');
    expect([...groups].sort()).toEqual([...wanted].sort());
    expect(report.leakedBytes).toBe(0);
    console.info(`[browser] ${report.device}: ${report.results.length} cases in ${Math.round(report.results.reduce((a, r) => a + r.ms, 0))} ms`);
  }, 300_000);
});
