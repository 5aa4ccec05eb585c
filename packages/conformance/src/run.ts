import { afterAll, beforeAll, describe, it } from 'vitest';
import { setBackend, type Backend } from '@stridenet/core';
import type { CaseGroup } from './cases/types.js';
import { CapabilityRecorder, writeCapability } from './harness/capability.js';
import { observeErrors } from './harness/compare.js';
import type { Check } from './harness/check.js';
import { KernelSession } from './harness/session.js';
import { allChecks } from './checks.js';

export interface CheckInfo {
  group: CaseGroup;
  kernel: string;
  option: string;
  title: string;
  elements: number;
}

export interface ConformanceOptions {
  /** Skip checks whose largest tensor has more elements (recorded as skipped with that reason). */
  maxElements?: number;
  /** Run only these case families (default: all). */
  groups?: readonly CaseGroup[];
  /** Further selection by case data; a check it rejects is skipped with the reason 'deselected by options.filter'. */
  filter?: (check: CheckInfo) => boolean;
  /**
   * Where <backend>.json/.md go; false to write nothing. Default: env STRIDENET_CAPABILITY_DIR, else
   * packages/conformance/capability in the repository, and nothing when installed from npm.
   */
  capabilityDir?: string | false;
  /** Per-check timeout in ms (default 20000). */
  timeout?: number;
  /** Label for the capability files (default: backend.name). */
  label?: string;
}

function defaultCapabilityDir(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.STRIDENET_CAPABILITY_DIR) return env.STRIDENET_CAPABILITY_DIR;
  try {
    const dir = decodeURIComponent(new URL('../capability/', import.meta.url).pathname);
    // An installed copy writes nothing into node_modules unless asked to (option or variable).
    return dir.includes('/node_modules/') ? undefined : dir;
  } catch {
    return undefined;
  }
}

/** Why a check does not run on this backend, or null when it runs. */
function skipReason(check: Check, backend: Backend, options: ConformanceOptions): string | null {
  if (options.maxElements !== undefined && check.elements > options.maxElements) {
    return `larger than maxElements (${check.elements} > ${options.maxElements})`;
  }
  if (options.filter && !options.filter(check)) return 'deselected by options.filter';
  for (const u of check.uses()) {
    const ok = backend.supports(u.kernel, u.attrs);
    if (ok !== true) return `${u.kernel}: ${ok}`;
  }
  return null;
}

/**
 * Defines the conformance suite (vitest describe/it blocks) for one backend. Call it at the top
 * level of the backend's test file: `runConformance(() => createCpuBackend())`.
 */
export function runConformance<H>(createBackend: () => Backend<H> | Promise<Backend<H>>, options: ConformanceOptions = {}): void {
  const recorder = new CapabilityRecorder();
  const skipped: string[] = [];
  let backend: Backend | undefined;
  const groups = new Set(options.groups ?? []);
  const checks = allChecks().filter((c) => groups.size === 0 || groups.has(c.group));
  const byGroup = new Map<CaseGroup, Check[]>();
  for (const c of checks) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c]);

  describe(options.label ? `stridenet conformance (${options.label})` : 'stridenet conformance', () => {
    beforeAll(async () => {
      // Handles are opaque to the suite: it only passes back what the backend gave it.
      backend = (await createBackend()) as unknown as Backend;
      await setBackend(backend);
    }, 120_000);

    afterAll(async () => {
      if (!backend) return;
      const name = options.label ?? backend.name;
      if (skipped.length > 0) {
        console.info(`[conformance] ${name}: ${skipped.length} checks skipped:\n  ${skipped.join('\n  ')}`);
      }
      const dir = options.capabilityDir === false ? undefined : (options.capabilityDir ?? defaultCapabilityDir());
      if (dir) {
        try {
          const files = await writeCapability(dir, recorder.report(name, backend.specVersion));
          console.info(`[conformance] ${name}: capability matrix written to ${files.join(', ')}`);
        } catch (e) {
          console.warn(`[conformance] could not write the capability matrix to ${dir}: ${(e as Error).message}`);
        }
      }
      await backend.dispose?.();
    });

    for (const [group, list] of byGroup) {
      describe(group, () => {
        for (const check of list) {
          it(`${check.kernel} | ${check.option} | ${check.title}`, { timeout: options.timeout ?? 20_000 }, async (ctx) => {
            const b = backend!;
            const entry = { kernel: check.kernel, option: check.option, check: check.title };
            const reason = skipReason(check, b, options);
            if (reason !== null) {
              recorder.record({ ...entry, status: 'skipped', reason });
              skipped.push(`${check.kernel} | ${check.option} | ${check.title}: ${reason}`);
              ctx.skip(reason);
            }
            const session = new KernelSession(b);
            // The check's worst error relative to its bound, kept for the capability matrix.
            let worst: { error: number; tolerance: number } | undefined;
            observeErrors((error, tolerance) => {
              if (!worst || error / (tolerance || 1) > worst.error / (worst.tolerance || 1)) worst = { error, tolerance };
            });
            try {
              await check.run(session, b);
              await session.close();
            } catch (e) {
              session.abandon();
              recorder.record({ ...entry, status: 'failed', reason: (e as Error).message, ...worst });
              throw e;
            } finally {
              observeErrors(undefined);
            }
            recorder.record({ ...entry, status: 'supported', ...worst });
          });
        }
      });
    }
  });
}
