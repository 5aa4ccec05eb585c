import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Backend, BackendInfo } from '@stridenet/core';
import { unknownName } from './errors.js';

export const BACKEND_NAMES = ['native', 'wasm', 'webgpu', 'cpu-js'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

interface BackendModule {
  packageName: string;
  factory: string;
}

const MODULES: Record<BackendName, BackendModule> = {
  native: { packageName: '@stridenet/native', factory: 'createNativeBackend' },
  wasm: { packageName: '@stridenet/wasm', factory: 'createWasmBackend' },
  webgpu: { packageName: '@stridenet/webgpu', factory: 'createWebGpuBackend' },
  'cpu-js': { packageName: '@stridenet/cpu-js', factory: 'createCpuBackend' },
};

/** Order tried by `--backend auto` when no benchmark recommendation exists (fastest first on CPUs). */
const AUTO_ORDER: readonly BackendName[] = ['native', 'wasm', 'cpu-js'];

export interface BackendOptions {
  threads?: number;
}

export interface BackendProbe {
  name: BackendName;
  packageName: string;
  installed: boolean;
  usable: boolean;
  /** Why it cannot run here (not installed, no adapter, addon not built...). */
  reason?: string;
  info?: BackendInfo;
  backend?: Backend;
}

/** Imports a backend package and starts it; never throws (the reason is reported instead). */
export async function probeBackend(name: BackendName, options: BackendOptions = {}): Promise<BackendProbe> {
  const mod = MODULES[name];
  let exports: Record<string, unknown>;
  try {
    exports = (await import(mod.packageName)) as Record<string, unknown>;
  } catch (e) {
    return { name, packageName: mod.packageName, installed: false, usable: false, reason: `not installed (npm i ${mod.packageName}): ${firstLine(e)}` };
  }
  const factory = exports[mod.factory];
  if (typeof factory !== 'function') {
    return { name, packageName: mod.packageName, installed: true, usable: false, reason: `${mod.packageName} does not export ${mod.factory}()` };
  }
  try {
    const backend = (await (factory as (o: BackendOptions) => Promise<Backend>)(options.threads ? { threads: options.threads } : {})) as Backend;
    return { name, packageName: mod.packageName, installed: true, usable: true, info: backend.info(), backend };
  } catch (e) {
    return { name, packageName: mod.packageName, installed: true, usable: false, reason: firstLine(e) };
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

/** Where `stridenet-bench --recommend` stores its choice. */
export function recommendationFile(): string {
  return process.env.STRIDENET_RECOMMENDATION ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'stridenet', 'recommendation.json');
}

export function readRecommendation(model: string): BackendName | undefined {
  const file = recommendationFile();
  if (!existsSync(file)) return undefined;
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { models?: Record<string, { backend?: string }>; backend?: string };
    const name = rec.models?.[model]?.backend ?? rec.backend;
    return (BACKEND_NAMES as readonly string[]).includes(name ?? '') ? (name as BackendName) : undefined;
  } catch {
    return undefined;
  }
}

export interface ResolvedBackend {
  backend: Backend;
  name: BackendName;
  /** How it was chosen (for the log). */
  why: string;
}

/**
 * Starts the named backend, or for 'auto' the benchmark's recommendation for this model, else the
 * first usable of native, wasm, cpu-js. A backend that cannot run is an error saying why and
 * which backends can.
 */
export async function resolveBackend(requested: string, model: string, options: BackendOptions = {}): Promise<ResolvedBackend> {
  if (requested !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw unknownName('backend', requested, [...BACKEND_NAMES, 'auto']);
  }
  if (requested !== 'auto') {
    const probe = await probeBackend(requested as BackendName, options);
    if (probe.backend) return { backend: probe.backend, name: probe.name, why: 'requested' };
    const usable = await usableBackends(options, probe.name);
    throw new BackendUnavailableError(
      `backend '${requested}' cannot run here: ${probe.reason}. Backends that can: ${usable.join(', ') || 'none'}`,
    );
  }
  const recommended = readRecommendation(model);
  const order = recommended ? [recommended, ...AUTO_ORDER.filter((n) => n !== recommended)] : AUTO_ORDER;
  const reasons: string[] = [];
  for (const name of order) {
    const probe = await probeBackend(name, options);
    if (probe.backend) {
      const why = name === recommended ? `recommended by stridenet-bench (${recommendationFile()})` : reasons.length ? `auto (${reasons.join('; ')})` : 'auto: fastest available';
      return { backend: probe.backend, name, why };
    }
    reasons.push(`${name}: ${probe.reason}`);
  }
  throw new BackendUnavailableError(`no backend can run here: ${reasons.join('; ')}`);
}

async function usableBackends(options: BackendOptions, except: BackendName): Promise<string[]> {
  const out: string[] = [];
  for (const n of BACKEND_NAMES) {
    if (n === except) continue;
    // Only listing: one thread each, never the user's count times every backend.
    const p = await probeBackend(n, { ...options, threads: 1 });
    if (p.usable) out.push(n);
    await p.backend?.dispose?.();
  }
  return out;
}

/** A backend exists but cannot run on this machine (runtime failure, not a usage error). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** --threads, bounded by MAX_THREADS (the check lives with the other flag parsing in config.ts). */
export { parseThreads as assertThreads } from './config.js';
