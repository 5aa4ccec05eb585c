import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mergeReports } from './merge.js';
import { html, markdown, terminalTable } from './report.js';
import { auditTables } from './table-audit.js';
import { syntheticReport } from './testutil.js';

const CHROMIUM = '/usr/bin/chromium';

describe('results tables', () => {
  const report = syntheticReport(
    {
      'model/lenet5/infer': { 'cpu-js': 10, wasm: 3, native: 1, torch: 2, onnxruntime: 0.5 },
      'model/lenet5/train': { 'cpu-js': 40, wasm: 12, native: 5, torch: 8, onnxruntime: 7.98 },
    },
    {
      'model/lenet5/infer|wasm': { correct: false, deviation: { maxAbs: 1, relative: 0.5 } },
      // Not checked: no check, no verdict (as the harness records a peer it could not verify).
      'model/lenet5/train|onnxruntime': { correct: undefined, check: undefined, deviation: undefined, note: 'unchecked: no training check' },
    },
  );

  it('show medians, ratios with intervals, and flag wrong and unchecked outputs', () => {
    const md = markdown(report, 'cpu-js');
    expect(md).toContain('| model/lenet5/infer | 10.0 ms (baseline) | 3.00 ms (3.33x [3.30-3.37]) ✗ | 1.00 ms (10.00x [9.90-10.10]) |');
    expect(md).toMatch(/\| model\/lenet5\/train \|.*\| 7\.98 ms \(5\.01x \[[\d.]+-[\d.]+\]\) unchecked \|/);
    expect(markdown(report, 'torch')).toContain('1.00 ms (2.00x');
    expect(terminalTable(report)).toMatch(/model\/lenet5\/train .*40\.0 ms \(baseline\)/);
  });

  it('mark a ratio whose interval holds 1.0 as a tie', () => {
    // onnxruntime 7.98 ms vs torch 8 ms: 1.00x with samples spread +-2%: a tie.
    expect(markdown(report, 'torch')).toMatch(/7\.98 ms \(1\.00x \[0\.99-1\.0\d\] tie\) unchecked/);
    expect(markdown(report, 'torch')).not.toMatch(/1\.00 ms \(8\.00x [^)]*tie/);
  });

  it('state every runner\'s threads, and what was asked where the runner cannot use it', () => {
    const one = syntheticReport({ 'model/lenet5/infer': { native: 2, 'tfjs-wasm': 6, torch: 4 } }, {}, 1);
    const two = syntheticReport({ 'model/lenet5/infer': { native: 1, 'tfjs-wasm': 6, torch: 3 } }, {}, 2);
    const md = markdown(mergeReports([one, two]), 'torch');
    expect(md).toContain('| workload | native 1T | native 2T | tfjs-wasm 1T | tfjs-wasm 1T (asked 2T) | torch 1T | torch 2T |');
    expect(md).toContain('| model/lenet5/infer | 2.00 ms (2.00x');
    expect(auditTables(md, mergeReports([one, two]))).toEqual([]);
  });

  it('list a runner that could not start, with its reason', () => {
    const r = syntheticReport({ 'model/lenet5/infer': { native: 1 } });
    r.runners.push({ id: 'tfjs-cpu', kind: 'peer', label: 'tfjs-cpu', version: '', threads: 0, requestedThreads: 1, available: false, reason: 'ERR_MODULE_NOT_FOUND' });
    expect(markdown(r)).toContain('- **tfjs-cpu** (1T requested): not available: ERR_MODULE_NOT_FOUND');
    expect(terminalTable(r)).toContain('tfjs-cpu (1T): not available: ERR_MODULE_NOT_FOUND');
  });

  it('keep a requested runner that did not start as a column, with its reason before the tables', () => {
    const r = syntheticReport({ 'model/lenet5/infer': { 'cpu-js': 2, native: 1 } });
    r.runners.push({ id: 'tfjs-cpu', kind: 'peer', label: 'tfjs-cpu', version: '', threads: 0, requestedThreads: 1, available: false, reason: 'ERR_MODULE_NOT_FOUND' });
    const md = markdown(r, 'cpu-js');
    expect(md).toContain('| workload | cpu-js 1T | native 1T | tfjs-cpu 1T (not available) |');
    expect(md).toMatch(/\| model\/lenet5\/infer \| 2\.00 ms \(baseline\) \| 1\.00 ms [^|]+\| not available \|/);
    // The reason stands before the first table, not only in the runner list at the end.
    const reason = md.indexOf('- **tfjs-cpu** (1T requested): not available: ERR_MODULE_NOT_FOUND');
    expect(reason).toBeGreaterThan(-1);
    expect(reason).toBeLessThan(md.indexOf('| workload |'));
    expect(terminalTable(r)).toMatch(/tfjs-cpu 1T \(not available\)/);
    expect(auditTables(md, r)).toEqual([]);
  });
});

describe('table audit', () => {
  const report = syntheticReport(
    { 'model/lenet5/train': { 'cpu-js': 40, native: 5, torch: 8 } },
    { 'model/lenet5/train|torch': { correct: undefined, check: undefined, deviation: undefined }, 'model/lenet5/train|native': { correct: false } },
  );

  it('passes the tables the harness writes', () => {
    expect(auditTables(markdown(report, 'cpu-js'), report)).toEqual([]);
  });

  it('fails a table that shows a ratio for an unchecked cell without marking it', () => {
    const doctored = markdown(report, 'cpu-js').replace(' unchecked |', ' |');
    expect(auditTables(doctored, report).join('\n')).toMatch(/'model\/lenet5\/train' on torch 1T shows a ratio but was not checked/);
  });

  it('fails a table that hides a deviation', () => {
    const doctored = markdown(report, 'cpu-js').replace(' ✗ |', ' |');
    expect(auditTables(doctored, report).join('\n')).toMatch(/deviates from the reference but the cell has no ✗/);
  });

  it("fails a table whose runner column does not state the runner's threads", () => {
    const doctored = markdown(report, 'cpu-js').replace('| native 1T |', '| native |');
    expect(auditTables(doctored, report).join('\n')).toMatch(/column 'native' does not state its threads/);
  });
});

describe('HTML report', () => {
  const report = syntheticReport(
    {
      'model/lenet5/infer': { 'cpu-js': 10, wasm: 3, native: 1, torch: 2, onnxruntime: 0.5 },
      'model/lenet5/train': { 'cpu-js': 40, wasm: 12, native: 5, torch: 8 },
    },
    { 'model/lenet5/infer|wasm': { correct: false, deviation: { maxAbs: 1, relative: 0.5 } } },
  );

  it('names unavailable runners and carries the tables', async () => {
    const r = structuredClone(report);
    r.runners.push({ id: 'tfjs-cpu', kind: 'peer', label: 'tfjs-cpu', version: '', threads: 0, requestedThreads: 1, available: false, reason: 'ERR_MODULE_NOT_FOUND' });
    const page = await html(r, 'cpu-js');
    expect(page).toContain('<b>tfjs-cpu</b> (1T): not available: ERR_MODULE_NOT_FOUND');
    expect(page).toContain('native 1T');
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
