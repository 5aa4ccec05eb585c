// Bundled by browser.test.ts and run in headless chromium: the kernel cases on navigator.gpu.
import { createWebGpuBackend } from '../backend.js';
import { cases } from '../testing/cases.js';

export interface BrowserCaseResult {
  name: string;
  group: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface BrowserReport {
  device?: string;
  error?: string;
  leakedBytes?: number;
  results: BrowserCaseResult[];
}

async function main(): Promise<BrowserReport> {
  const search = (globalThis as { location?: { search: string } }).location?.search ?? '';
  const groups = new URLSearchParams(search).get('groups')?.split(',');
  const report: BrowserReport = { results: [] };
  try {
    const b = await createWebGpuBackend();
    report.device = b.info().device;
    const start = b.runtime.memory().liveBytes;
    for (const c of cases) {
      if (groups && !groups.includes(c.group)) continue;
      const t0 = performance.now();
      try {
        await c.run(b);
        report.results.push({ name: c.name, group: c.group, ok: true, ms: performance.now() - t0 });
      } catch (e) {
        report.results.push({ name: c.name, group: c.group, ok: false, error: String((e as Error).message ?? e), ms: performance.now() - t0 });
      }
    }
    report.leakedBytes = b.runtime.memory().liveBytes - start;
    b.dispose();
  } catch (e) {
    report.error = String((e as Error).message ?? e);
  }
  return report;
}

(globalThis as { stridenetReport?: Promise<BrowserReport> }).stridenetReport = main();
