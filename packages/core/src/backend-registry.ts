/**
 * Backends by name: the one table of the published backend packages (what each is called, its npm
 * package, how to start it with `{ threads }`, the order `'auto'` tries them in) plus any backend
 * registered at run time. The CLI and the benchmark harness both start backends through it.
 *
 * Core never imports a backend statically: a package is imported by name when it is asked for,
 * through `options.importer` when given. Apps pass `(name) => import(name)` written in their own
 * source, so the package resolves from the app's dependencies (pnpm keeps them out of core's reach).
 */
import { ArgumentError, BackendError } from './errors.js';
import type { AnyBackend, BackendInfo } from './spec/index.js';

/** Imports a package by name and resolves to its exports. */
export type PackageImporter = (packageName: string) => Promise<Record<string, unknown>>;

export interface StartBackendOptions {
  /** Worker threads for the backends that run a pool (native, wasm); the others take no threads. */
  threads?: number;
  /** How a backend package is imported; default `import(name)` resolved from core's own location. */
  importer?: PackageImporter;
  /**
   * Backend-specific options passed to the package's factory with `threads` (native: `{ isa: 'avx2' }`);
   * the factory validates them and rejects unknown values with an ArgumentError.
   */
  factoryOptions?: Readonly<Record<string, unknown>>;
}

/** A backend `setBackend(name)` and `'auto'` can start. */
export interface BackendEntry {
  readonly name: string;
  /** The npm package it comes from (absent for one registered with a factory). */
  readonly packageName?: string;
  /** Whether it takes `threads` (it starts a pool of that many threads). */
  readonly threaded: boolean;
  /** `'auto'` tries higher first. */
  readonly priority: number;
  /** Starts a new instance; rejects with a BackendError saying why it cannot run here. */
  start(options: StartBackendOptions): Promise<AnyBackend>;
  /** Why `'auto'` should pass over an instance that did start (a software GPU adapter), or undefined. */
  autoSkip?(backend: AnyBackend): string | undefined;
}

interface PackageSpec {
  name: string;
  packageName: string;
  /** Name of the exported async factory taking an options object. */
  factory: string;
  threaded: boolean;
  priority: number;
  autoSkip?(backend: AnyBackend): string | undefined;
}

/**
 * The published backends, listed CPU-first. `'auto'` order: native (the fastest measured CPU path),
 * then a hardware WebGPU adapter, then wasm, then cpu-js. A software adapter (llvmpipe, SwiftShader)
 * is slower than every CPU backend, so auto passes over it.
 */
const PACKAGES: readonly PackageSpec[] = [
  { name: 'native', packageName: '@stridenet/native', factory: 'createNativeBackend', threaded: true, priority: 40 },
  { name: 'wasm', packageName: '@stridenet/wasm', factory: 'createWasmBackend', threaded: true, priority: 20 },
  {
    name: 'webgpu',
    packageName: '@stridenet/webgpu',
    factory: 'createWebGpuBackend',
    threaded: false,
    priority: 30,
    autoSkip: (b) =>
      (b as { isFallbackAdapter?: boolean }).isFallbackAdapter
        ? `only a software (fallback) adapter (${b.info().device ?? 'unknown'}), slower than the CPU backends`
        : undefined,
  },
  { name: 'cpu-js', packageName: '@stridenet/cpu-js', factory: 'createCpuBackend', threaded: false, priority: 10 },
];

/** Names of the published backend packages, in listing order. */
export const KNOWN_BACKEND_NAMES = ['native', 'wasm', 'webgpu', 'cpu-js'] as const;
export type KnownBackendName = (typeof KNOWN_BACKEND_NAMES)[number];

const defaultImporter: PackageImporter = (name) => import(/* @vite-ignore */ name) as Promise<Record<string, unknown>>;

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

function packageEntry(spec: PackageSpec): BackendEntry {
  return {
    name: spec.name,
    packageName: spec.packageName,
    threaded: spec.threaded,
    priority: spec.priority,
    ...(spec.autoSkip ? { autoSkip: spec.autoSkip } : {}),
    async start(options) {
      let exports: Record<string, unknown>;
      try {
        exports = await (options.importer ?? defaultImporter)(spec.packageName);
      } catch (e) {
        throw new BackendError(`not installed (npm i ${spec.packageName}): ${firstLine(e)}`);
      }
      const factory = exports[spec.factory];
      if (typeof factory !== 'function') throw new BackendError(`${spec.packageName} does not export ${spec.factory}()`);
      const opts = { ...options.factoryOptions, ...(spec.threaded && options.threads !== undefined ? { threads: options.threads } : {}) };
      try {
        return (await (factory as (o: object) => Promise<AnyBackend>)(opts)) as AnyBackend;
      } catch (e) {
        throw new BackendError(firstLine(e));
      }
    },
  };
}

const entries = new Map<string, BackendEntry>(PACKAGES.map((p) => [p.name, packageEntry(p)]));

/**
 * Registers (or replaces) a backend by name; `factory` receives the caller's `factoryOptions` and
 * `{ threads }` when the caller gave them. Higher priority is tried first by `'auto'` (the published backends use 10 to 40).
 */
export function registerBackend(
  name: string,
  factory: (options: { threads?: number; [option: string]: unknown }) => AnyBackend | Promise<AnyBackend>,
  priority = 0,
): void {
  if (typeof name !== 'string' || name.length === 0 || name === 'auto') {
    throw new ArgumentError('registerBackend', 'name', name, "a non-empty string other than 'auto'");
  }
  if (typeof factory !== 'function') throw new ArgumentError('registerBackend', 'factory', factory, 'a function');
  entries.set(name, {
    name,
    threaded: true,
    priority,
    start: async ({ threads, factoryOptions }) => factory({ ...factoryOptions, ...(threads === undefined ? {} : { threads }) }),
  });
}

/** Every backend name, highest `'auto'` priority first. */
export function listBackends(): string[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority).map((e) => e.name);
}

/** The table entry for `name`; an ArgumentError listing the names when there is none. */
export function backendEntry(name: string): BackendEntry {
  const entry = entries.get(name);
  if (!entry) throw new ArgumentError('backend', 'name', name, `one of ${listBackends().join(', ')} or 'auto'`);
  return entry;
}

/** Starts a new instance of the named backend (not made active); rejects with a BackendError saying why it cannot run. */
export async function startBackend(name: string, options: StartBackendOptions = {}): Promise<AnyBackend> {
  return backendEntry(name).start(options);
}

export interface AutoChoice {
  backend: AnyBackend;
  name: string;
  /** Each backend tried before it, with why it was not taken. */
  skipped: { name: string; reason: string }[];
}

/**
 * Starts the first backend that runs here, trying `prefer` (when given) and then every backend by
 * priority; instances passed over are disposed. Rejects with every reason when none runs.
 */
export async function startAutoBackend(options: StartBackendOptions & { prefer?: string } = {}): Promise<AutoChoice> {
  const order = listBackends();
  const names = options.prefer && entries.has(options.prefer) ? [options.prefer, ...order.filter((n) => n !== options.prefer)] : order;
  const skipped: AutoChoice['skipped'] = [];
  for (const name of names) {
    const entry = entries.get(name)!;
    let backend: AnyBackend;
    try {
      backend = await entry.start(options);
    } catch (e) {
      skipped.push({ name, reason: firstLine(e) });
      continue;
    }
    const skip = name === options.prefer ? undefined : entry.autoSkip?.(backend);
    if (skip === undefined) return { backend, name, skipped };
    await backend.dispose?.();
    skipped.push({ name, reason: skip });
  }
  throw new BackendError(`no backend can run here: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export interface BackendProbe {
  name: string;
  packageName?: string;
  /** The package imported (false: not installed). */
  installed: boolean;
  /** It started here. */
  usable: boolean;
  /** Why it cannot run here, when it cannot. */
  reason?: string;
  /** What the probe instance reported (threaded backends are probed on one thread unless `threads` is given). */
  info?: BackendInfo;
  /** Why `'auto'` would pass over it even though it runs. */
  autoSkip?: string;
  /** The probe instance, with `keep: true` (the caller disposes it). */
  backend?: AnyBackend;
}

/**
 * Whether the named backend runs here: it is started (threaded ones on one thread unless
 * `options.threads` says otherwise, so no pool is spun up just to look), asked for its info, and
 * disposed unless `keep` is set. Never rejects.
 */
export async function probeBackend(name: string, options: StartBackendOptions & { keep?: boolean } = {}): Promise<BackendProbe> {
  const entry = backendEntry(name);
  const base = { name, ...(entry.packageName ? { packageName: entry.packageName } : {}) };
  let backend: AnyBackend;
  try {
    backend = await entry.start({ ...options, threads: options.threads ?? 1 });
  } catch (e) {
    const reason = firstLine(e);
    return { ...base, installed: !reason.startsWith('not installed'), usable: false, reason };
  }
  const skip = entry.autoSkip?.(backend);
  const probe: BackendProbe = { ...base, installed: true, usable: true, info: backend.info(), ...(skip ? { autoSkip: skip } : {}) };
  if (options.keep) probe.backend = backend;
  else await backend.dispose?.();
  return probe;
}
