import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { html, markdown, terminalTable } from './report.js';
import { syntheticReport } from './testutil.js';

const CHROMIUM = '/usr/bin/chromium';

describe('HTML report', () => {
  const report = syntheticReport(
    {
      'model/lenet5/infer': { 'cpu-js': 10, wasm: 3, native: 1, torch: 2, onnxruntime: 0.5 },
      'model/lenet5/train': { 'cpu-js': 40, wasm: 12, native: 5, torch: 8 },
    },
    { 'model/lenet5/infer|wasm': { correct: false, deviation: { maxAbs: 1, relative: 0.5 } } },
  );

  it('tables show medians, ratios to the baseline and flag wrong outputs', () => {
    const md = markdown(report, 'cpu-js');
    expect(md).toContain('| model/lenet5/infer | 10.0 ms (1.00x) | 3.00 ms (3.33x) ✗ | 1.00 ms (10.00x) | 2.00 ms (5.00x) | 0.50 ms (20.00x) |');
    expect(markdown(report, 'torch')).toContain('1.00 ms (2.00x)');
    expect(terminalTable(report)).toMatch(/model\/lenet5\/train .*40\.0 ms \(1\.00x\)/);
  });

  // Skipped only on machines without Debian's chromium (playwright may not download browsers here);
  // setup.sh installs it, so CI runs this.
  it.skipIf(!existsSync(CHROMIUM))('renders its SVG charts in headless Chromium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-html-'));
    const file = join(dir, 'bench.html');
    writeFileSync(file, await html(report, 'cpu-js'));
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bench-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1200, height: 900 },
    });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      const boxes = await page.$$eval('section .chart > svg', (svgs) => svgs.map((s) => s.getBoundingClientRect()).map((r) => ({ w: r.width, h: r.height })));
      expect(boxes).toHaveLength(2);
      for (const b of boxes) {
        expect(b.w).toBeGreaterThan(100);
        expect(b.h).toBeGreaterThan(40);
      }
      // One bar per runner that has a ratio, and the ratio text next to it.
      // One visible bar per runner with a ratio (the baseline's own bar is the 1x line, zero wide).
      const widths = await page.$$eval('section .chart svg .mark-rect path', (ps) => ps.map((p) => p.getBoundingClientRect().width));
      expect(widths).toHaveLength(9);
      expect(widths.filter((w) => w > 2).length).toBe(7);
      expect(await page.textContent('body')).toContain('10.00x');
      const png = join(dir, 'bench.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(5000);
    } finally {
      await browser.close();
    }
  });
});
