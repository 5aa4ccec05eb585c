import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { allCpuFlags } from './cpuid-mask.js';
import type { Fingerprint } from './schema.js';

const require = createRequire(import.meta.url);

export function packageVersion(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

const PACKAGES = [
  '@stridenet/core',
  '@stridenet/cpu-js',
  '@stridenet/wasm',
  '@stridenet/native',
  '@stridenet/webgpu',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  'onnxruntime-node',
];

/** The SIMD flags of /proc/cpuinfo that figures depend on (empty off Linux). */
export function cpuFlags(): string[] {
  return allCpuFlags().filter((f) => /^(avx|avx2|fma|avx512f|avx512_vnni|sse4_2|f16c|amx_tile)$/.test(f));
}

/** CPU, clock, Node and package versions: what a figure depends on. */
export function fingerprint(threads: number, extra: { gpuAdapter?: string; packages?: Record<string, string> } = {}): Fingerprint {
  const cpus = os.cpus();
  let cpuModel = cpus[0]?.model ?? 'unknown';
  let clockMHz: number | undefined = cpus[0]?.speed || undefined;
  const flags = cpuFlags();
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? cpuModel;
    const mhz = /cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1];
    if (mhz) clockMHz = Math.round(Number(mhz));
  } catch {
    // Not Linux: os.cpus() is what there is.
  }
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    const v = packageVersion(p);
    if (v) packages[p] = v;
  }
  Object.assign(packages, extra.packages ?? {});
  return {
    cpuModel,
    logicalCores: cpus.length,
    clockMHz,
    cpuFlags: flags,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    packages,
    threads,
    gpuAdapter: extra.gpuAdapter,
    hostname: os.hostname(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
