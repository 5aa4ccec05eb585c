import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The CPUID mask that holds ONNX Runtime to AVX2 under `--peer-isa avx2` (peer-isa.ts): native/cpuid-mask.c,
 * an LD_PRELOAD shim for the ONNX Runtime child (runners/onnx.ts) that turns on Linux CPUID faulting
 * (arch_prctl ARCH_SET_CPUID) and answers every CPUID of the process with leaf 7's AVX-512 and AMX bits
 * cleared. MLAS then picks the kernels it picks on an AVX2-only CPU of the same microarchitecture. The
 * shim is compiled with `cc` on first use into a cache folder, keyed by the source's hash.
 */

/** The variable the shim sets in its process: 'on leaf7.0 ebx=... emulated=0x... passed=0x...' or 'off: why'. */
export const CPUID_MASK_ENV = 'STRIDENET_CPUID_MASK';

/**
 * glibc picks its string and memory functions (memcpy's EVEX / AVX-512 variants) and its glibc-hwcaps
 * library folder (x86-64-v4) in the dynamic loader, before any LD_PRELOAD constructor runs: this tunable
 * holds those to AVX2 as well (`ld.so --list-diagnostics` reads dl_hwcaps_subdirs_active 0x6, was 0x7).
 */
export const GLIBC_AVX512_OFF = 'glibc.cpu.hwcaps=-AVX512F,-AVX512CD,-AVX512BW,-AVX512DQ,-AVX512ER,-AVX512PF,-AVX512VL';

/** Leaf 7 bits the shim clears (the same masks as native/cpuid-mask.c). */
export const LEAF7_MASKED = {
  /** Subleaf 0 EBX: avx512f, dq, ifma, pf, er, cd, bw, vl. */
  ebx: [16, 17, 21, 26, 27, 28, 30, 31],
  /** ECX: avx512_vbmi, vbmi2, vnni, bitalg, vpopcntdq. */
  ecx: [1, 6, 11, 12, 14],
  /** EDX: avx512_4vnniw, 4fmaps, vp2intersect, amx-bf16, avx512_fp16, amx-tile, amx-int8. */
  edx: [2, 3, 8, 22, 23, 24, 25],
  /** Subleaf 1 EAX: avx512_bf16, amx-fp16. */
  s1eax: [5, 21],
  /** Subleaf 1 EDX: amx-complex, avx10. */
  s1edx: [8, 19],
} as const;

/** What the shim read back through its own trap when it loaded, and where its counters live. */
export interface CpuidMaskReport {
  on: boolean;
  /** Why it is off. */
  reason?: string;
  leaf7?: { ebx: number; ecx: number; edx: number; s1eax: number; s1edx: number };
  /** Addresses of the counts of emulated CPUIDs and of SIGSEGVs passed on, in the shim's process. */
  counters?: { emulated: number; passed: number };
}

const hex = (s: string) => Number.parseInt(s, 16);

export function parseCpuidMaskReport(v: string | undefined): CpuidMaskReport | undefined {
  if (v === undefined) return undefined;
  if (v.startsWith('off: ')) return { on: false, reason: v.slice(5) };
  const m = /^on leaf7\.0 ebx=([0-9a-f]{8}) ecx=([0-9a-f]{8}) edx=([0-9a-f]{8}) leaf7\.1 eax=([0-9a-f]{8}) edx=([0-9a-f]{8}) emulated=0x([0-9a-f]+) passed=0x([0-9a-f]+)$/.exec(v);
  if (!m) return { on: false, reason: `unreadable report '${v}'` };
  return {
    on: true,
    leaf7: { ebx: hex(m[1]!), ecx: hex(m[2]!), edx: hex(m[3]!), s1eax: hex(m[4]!), s1edx: hex(m[5]!) },
    counters: { emulated: hex(m[6]!), passed: hex(m[7]!) },
  };
}

const bit = (word: number, b: number) => ((word >>> b) & 1) === 1;

/** What contradicts an AVX2 CPU in the shim's report ([] when the mask took). */
export function cpuidMaskProblems(r: CpuidMaskReport | undefined): string[] {
  if (!r) return [`the child has no ${CPUID_MASK_ENV}: the shim did not load (LD_PRELOAD ignored)`];
  if (!r.on) return [`the shim is off: ${r.reason}`];
  const l = r.leaf7!;
  const problems: string[] = [];
  for (const [reg, bits] of Object.entries(LEAF7_MASKED)) {
    const set = bits.filter((b) => bit(l[reg as keyof typeof l], b));
    if (set.length) problems.push(`CPUID leaf 7 ${reg} still has bit(s) ${set.join(', ')}`);
  }
  if (!bit(l.ebx, 5)) problems.push('CPUID leaf 7 ebx lost avx2 (bit 5)');
  return problems;
}

/** A counter of the shim in this process (the child), read through /proc/self/mem; undefined where it cannot be read. */
export function readShimCounter(address: number): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/self/mem', 'r');
    const b = Buffer.alloc(8);
    if (readSync(fd, b, 0, 8, address) !== 8) return undefined;
    return Number(b.readBigUInt64LE(0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Every flag of /proc/cpuinfo's first CPU, empty off Linux (env.ts cpuFlags keeps the SIMD ones). */
export function allCpuFlags(): string[] {
  try {
    return /flags\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
  } catch {
    return [];
  }
}

/** The shim's C source: native/ next to src/ (source) or dist/ (built). */
export function cpuidMaskSource(): string {
  for (const rel of ['../native/cpuid-mask.c', '../../native/cpuid-mask.c']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('native/cpuid-mask.c not found next to the harness');
}

/**
 * Why this host cannot hold a process to AVX2 by the CPUID mask, or undefined when it can. A CPU without
 * AVX-512 needs no hold at all: callers check that first.
 */
export function cpuidMaskUnavailable(flags: readonly string[] = allCpuFlags(), platform: string = process.platform, arch: string = process.arch): string | undefined {
  if (platform !== 'linux' || arch !== 'x64') return `the CPUID mask needs Linux on x86-64 (this is ${platform} ${arch})`;
  if (!flags.includes('cpuid_fault')) return 'the CPU or hypervisor has no CPUID faulting (no cpuid_fault in /proc/cpuinfo)';
  return undefined;
}

/** node_modules/.cache/stridenet-bench of this package, or a per-user folder under the temp folder. */
export function cpuidMaskCacheDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['..', '../..']) {
    const root = join(here, rel);
    try {
      if ((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string }).name === 'stridenet-bench') return join(root, 'node_modules', '.cache', 'stridenet-bench');
    } catch {
      // not the package root
    }
  }
  return join(os.tmpdir(), `stridenet-bench-${process.getuid?.() ?? 'user'}`);
}

/**
 * The compiled shim: `<cacheDir>/cpuid-mask-<hash>.so`, compiled with `$CC` (default `cc`) when missing,
 * written under a temporary name and renamed (atomic: concurrent runs never load a half-written file).
 * Throws with the reason when it cannot be built.
 */
export function buildCpuidMask(cacheDir: string = cpuidMaskCacheDir(), cc: string = process.env.CC || 'cc'): string {
  const source = cpuidMaskSource();
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const out = join(cacheDir, `cpuid-mask-${hash}.so`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  // A shared temporary folder: use it only when it is ours (another user must not plant the library).
  const st = lstatSync(cacheDir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) throw new Error(`the CPUID mask's cache folder ${cacheDir} is not a folder of this user`);
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    execFileSync(cc, ['-O2', '-shared', '-fPIC', '-o', tmp, source, '-ldl'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    renameSync(tmp, out);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error(`no C compiler: '${cc}' is not on PATH (set CC)`);
    throw new Error(`'${cc}' could not compile ${source}: ${err.stderr?.toString().trim().split('\n').slice(-2).join(' | ') || err.message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

/** The environment of a process held to AVX2: the shim first in LD_PRELOAD and glibc's tunable added to the caller's. */
export function cpuidMaskEnv(shim: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const preload = [shim, ...(base.LD_PRELOAD ?? '').split(/[: ]/).filter(Boolean)].join(':');
  const tunables = [base.GLIBC_TUNABLES, GLIBC_AVX512_OFF].filter(Boolean).join(':');
  return { ...base, LD_PRELOAD: preload, GLIBC_TUNABLES: tunables };
}
