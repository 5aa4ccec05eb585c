import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KNOWN_BACKEND_NAMES,
  probeBackend as probeInCore,
  startAutoBackend,
  startBackend,
  type Backend,
  type BackendInfo,
  type PackageImporter,
} from '@stridenet/core';
import { unknownName } from './errors.js';

export const BACKEND_NAMES = KNOWN_BACKEND_NAMES;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Backend packages resolve from the CLI's own dependencies (core cannot see them under pnpm). */
const importer: PackageImporter = (name) => import(name) as Promise<Record<string, unknown>>;

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
  /** Why `--backend auto` passes over it although it runs (a software GPU adapter). */
  autoSkip?: string;
  info?: BackendInfo;
  /** The probe instance (threaded backends on one thread unless `threads` is given); the caller disposes it. */
  backend?: Backend;
}

/** Imports a backend package and starts it (threaded ones on one thread unless told otherwise); never throws (the reason is reported instead). */
export async function probeBackend(name: BackendName, options: BackendOptions = {}): Promise<BackendProbe> {
  const p = await probeInCore(name, { ...options, importer, keep: true });
  return { ...p, name, packageName: p.packageName ?? name, ...(p.backend ? { backend: p.backend as Backend } : {}) };
}

/**
 * This CLI's own entry file, to run part of a command in a child process: dist/bin.js when built
 * (this module is bundled next to it), src/bin.ts when run from source (with the same node flags).
 */
export function cliEntry(): string {
  return fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './bin.ts' : './bin.js', import.meta.url));
}

/**
 * A stored backend choice for `--backend auto` (written by the repository's benchmark harness,
 * `stridenet-bench --recommend`), by model or for all models.
 */
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
 * first usable by core's auto order (native, a hardware WebGPU adapter, wasm, cpu-js). A backend
 * that cannot run is an error saying why and which backends can.
 */
export async function resolveBackend(requested: string, model: string, options: BackendOptions = {}): Promise<ResolvedBackend> {
  if (requested !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw unknownName('backend', requested, [...BACKEND_NAMES, 'auto']);
  }
  if (requested !== 'auto') {
    const name = requested as BackendName;
    try {
      return { backend: (await startBackend(name, { ...options, importer })) as Backend, name, why: 'requested' };
    } catch (e) {
      const usable = await usableBackends(name);
      throw new BackendUnavailableError(`backend '${requested}' cannot run here: ${(e as Error).message}. Backends that can: ${usable.join(', ') || 'none'}`);
    }
  }
  const recommended = readRecommendation(model);
  let choice;
  try {
    choice = await startAutoBackend({ ...options, importer, ...(recommended ? { prefer: recommended } : {}) });
  } catch (e) {
    throw new BackendUnavailableError((e as Error).message);
  }
  const { backend, name, skipped } = choice;
  const why =
    name === recommended
      ? `recommended by stridenet-bench (${recommendationFile()})`
      : skipped.length
        ? `auto (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`
        : 'auto: fastest available';
  return { backend: backend as Backend, name: name as BackendName, why };
}

/** The other backends that start here, each probed on one thread and disposed. */
async function usableBackends(except: BackendName): Promise<string[]> {
  const out: string[] = [];
  for (const n of BACKEND_NAMES) {
    if (n !== except && (await probeInCore(n, { importer })).usable) out.push(n);
  }
  return out;
}

/** A backend exists but cannot run on this machine (runtime failure, not a usage error). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** --threads, bounded by MAX_THREADS (the check lives with the other flag parsing in config.ts). */
export { parseThreads as assertThreads } from './config.js';
