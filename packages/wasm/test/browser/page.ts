// Bundled by src/browser.test.ts and run in headless Chromium: every kernel check (all conv and
// pool kernels forward and backward included) on the threaded and the single-threaded backend.
import { createWasmBackend } from '../../src/index.js';
import { runChecks, type CheckResult } from '../checks.js';

interface PageReport {
  crossOriginIsolated: boolean;
  runs: { threads: number; requested: number; notes: string[]; results: CheckResult[] }[];
  error?: string;
}

async function main(): Promise<PageReport> {
  const report: PageReport = { crossOriginIsolated: globalThis.crossOriginIsolated === true, runs: [] };
  for (const requested of [2, 1]) {
    const backend = await createWasmBackend({ threads: requested, minParallelWork: 0 });
    const info = backend.info();
    report.runs.push({ threads: info.threads ?? 1, requested, notes: info.notes ?? [], results: runChecks(backend) });
    backend.dispose();
  }
  return report;
}

(globalThis as { stridenetReport?: Promise<PageReport> }).stridenetReport = main().catch((e: unknown) => ({
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  runs: [],
  error: String((e as Error)?.stack ?? e),
}));
