// Bundled by src/browser.test.ts and run in headless Chromium, on the threaded and the
// single-threaded backend: this package's kernel checks (every conv and pool kernel forward and
// backward against float64 loops) and every case of the shared conformance suite, driven directly
// (the suite's own runner is vitest-bound; its checks are not).
import { setBackend } from '@stridenet/core';
import { allChecks } from '../../node_modules/@stridenet/conformance/src/checks.js';
import { KernelSession } from '../../node_modules/@stridenet/conformance/src/harness/session.js';
import { createWasmBackend } from '../../src/index.js';
import { runChecks, type CheckResult } from '../checks.js';

export interface PageRun {
  threads: number;
  requested: number;
  notes: string[];
  results: CheckResult[];
  conformance: { total: number; passed: number; failures: string[] };
}

export interface PageReport {
  crossOriginIsolated: boolean;
  runs: PageRun[];
  error?: string;
}

async function main(): Promise<PageReport> {
  const report: PageReport = { crossOriginIsolated: globalThis.crossOriginIsolated === true, runs: [] };
  for (const requested of [2, 1]) {
    const backend = await createWasmBackend({ threads: requested, minParallelWork: 0 });
    const info = backend.info();
    const results = runChecks(backend);
    await setBackend(backend);
    const checks = allChecks();
    const failures: string[] = [];
    for (const check of checks) {
      const session = new KernelSession(backend as never);
      try {
        await check.run(session as never, backend as never);
        await session.close();
      } catch (e) {
        session.abandon();
        failures.push(`${check.kernel} | ${check.option} | ${check.title}: ${(e as Error).message}`);
      }
    }
    report.runs.push({
      threads: info.threads ?? 1,
      requested,
      notes: info.notes ?? [],
      results,
      conformance: { total: checks.length, passed: checks.length - failures.length, failures },
    });
    backend.dispose();
  }
  return report;
}

(globalThis as { stridenetReport?: Promise<PageReport> }).stridenetReport = main().catch((e: unknown) => ({
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  runs: [],
  error: String((e as Error)?.stack ?? e),
}));
