// Bundles fixtures/page.mjs with esbuild from inside the consumer project (so every import resolves in
// its node_modules), serves it with and without COOP/COEP and runs it in headless Chromium.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { exec } from './exec.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TOLERANCE = 1e-5;

interface PageReport {
  error?: string;
  crossOriginIsolated: boolean;
  threads: number;
  notes: string[];
  probabilities: number[];
  webgpu: { ok: true; device: string; probabilities: number[] } | { ok: false; name?: string; message: string };
}

export async function runBrowser(consumer: string, log: (l: string) => void): Promise<void> {
  const executablePath = process.env.STRIDENET_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`browser step: no Chromium at ${executablePath} (install Debian's chromium or set STRIDENET_CHROMIUM)`);
  const dir = join(consumer, 'browser');
  mkdirSync(dir, { recursive: true });
  for (const f of ['page.mjs', 'input.mjs', 'reference.mjs']) copyFileSync(join(FIXTURES, f), join(dir, f));

  const expected = JSON.parse(exec(process.execPath, [join(dir, 'reference.mjs')], { cwd: dir }).stdout) as number[];
  const t0 = performance.now();
  const out = await build({
    absWorkingDir: dir,
    entryPoints: [join(dir, 'page.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = out.outputFiles[0]!.contents;
  log(`  bundled page.mjs: ${(js.length / 1024).toFixed(0)} KiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const html = '<!doctype html><meta charset="utf-8"><title>stridenet consumer</title><script type="module" src="page.js"></script>';
  // /isolated/ and /plain/ serve the same two files; only the former sends COOP + COEP.
  const files: Record<string, [string, string | Uint8Array]> = { '': ['text/html', html], 'page.js': ['text/javascript', js] };
  const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  const server = createServer((req, res) => {
    const [, mode, name] = /^\/(isolated|plain)\/(.*)$/.exec(req.url ?? '') ?? [];
    const file = name === undefined ? undefined : files[name];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': file[0], ...(mode === 'isolated' ? isolation : {}) }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const profile = mkdtempSync(join(tmpdir(), 'stridenet-consumer-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    for (const isolated of [true, false]) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${origin}/${isolated ? 'isolated' : 'plain'}/`);
      await page.waitForFunction(() => 'stridenetReport' in globalThis, undefined, { timeout: 60_000 });
      const r = await page.evaluate(() => (globalThis as unknown as { stridenetReport: Promise<PageReport> }).stridenetReport);
      await page.close();
      const label = isolated ? 'cross-origin isolated' : 'not isolated';
      if (r.error || errors.length) throw new Error(`browser (${label}): the page failed: ${r.error ?? ''} ${errors.join('\n')}`);
      checkReport(r, isolated, expected, label);
      const gpu = r.webgpu.ok ? `webgpu on ${r.webgpu.device} matches too` : `no WebGPU (${r.webgpu.message})`;
      log(`  ok   ${label}: wasm on ${r.threads} thread(s): LeNet-5 matches cpu-js within ${TOLERANCE}; ${gpu}`);
    }
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(profile, { recursive: true, force: true });
  }
}

function compare(got: number[], expected: number[], what: string, fail: (why: string) => Error): void {
  if (got.length !== expected.length) throw fail(`${what}: ${got.length} probabilities but cpu-js gave ${expected.length}`);
  const worst = Math.max(...got.map((p, i) => (Number.isFinite(p) ? Math.abs(p - expected[i]!) : Infinity)));
  if (!(worst <= TOLERANCE)) throw fail(`${what}: LeNet-5 probabilities differ from cpu-js by ${worst} (tolerance ${TOLERANCE})`);
}

function checkReport(r: PageReport, isolated: boolean, expected: number[], label: string): void {
  const fail = (why: string) => new Error(`browser (${label}): ${why}`);
  if (r.crossOriginIsolated !== isolated) throw fail(`crossOriginIsolated is ${r.crossOriginIsolated}`);
  if (isolated ? r.threads < 2 : r.threads !== 1) throw fail(`wasm runs on ${r.threads} thread(s) (notes: ${r.notes.join('; ')})`);
  if (!isolated && !r.notes.join(' ').includes('not cross-origin isolated')) throw fail(`wasm does not say why it runs on one thread: ${r.notes.join('; ')}`);
  compare(r.probabilities, expected, 'wasm', fail);
  if (r.webgpu.ok) compare(r.webgpu.probabilities, expected, `webgpu (${r.webgpu.device})`, fail);
  // Without an adapter the backend must refuse with its own clear error, not crash the page.
  if (!r.webgpu.ok && !(r.webgpu.name === 'BackendError' && /^webgpu: .*(adapter|navigator\.gpu)/.test(r.webgpu.message))) {
    throw fail(`the webgpu backend failed without a clear BackendError: ${r.webgpu.name}: ${r.webgpu.message}`);
  }
}
