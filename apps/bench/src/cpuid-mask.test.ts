import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CPUID_MASK_ENV, GLIBC_AVX512_OFF, allCpuFlags, buildCpuidMask, cpuidMaskEnv, cpuidMaskProblems, cpuidMaskUnavailable, parseCpuidMaskReport } from './cpuid-mask.js';

const ON = 'on leaf7.0 ebx=219c27eb ecx=1b41079c edx=bc114410 leaf7.1 eax=00001c10 edx=00000000 emulated=0x7f5d815c11d0 passed=0x7f5d815c11d8';

describe('the CPUID mask (parsing, environment)', () => {
  it('reads the shim report and finds what contradicts an AVX2 CPU', () => {
    const r = parseCpuidMaskReport(ON)!;
    expect(r).toMatchObject({ on: true, leaf7: { ebx: 0x219c27eb, s1eax: 0x1c10 }, counters: { emulated: 0x7f5d815c11d0, passed: 0x7f5d815c11d8 } });
    expect(cpuidMaskProblems(r)).toEqual([]);
    // This Emerald Rapids host's leaf 7 unmasked: avx512f/dq/ifma/cd/bw/vl, vbmi/vbmi2/vnni/bitalg/vpopcntdq, fp16 and AMX, avx512_bf16.
    const raw = { ...r, leaf7: { ebx: 0xf1bf27eb, ecx: 0x1b415fde, edx: 0xbfd14410, s1eax: 0x1c30, s1edx: 0 } };
    expect(cpuidMaskProblems(raw)).toEqual([
      'CPUID leaf 7 ebx still has bit(s) 16, 17, 21, 28, 30, 31',
      'CPUID leaf 7 ecx still has bit(s) 1, 6, 11, 12, 14',
      'CPUID leaf 7 edx still has bit(s) 22, 23, 24, 25',
      'CPUID leaf 7 s1eax still has bit(s) 5',
    ]);
    expect(cpuidMaskProblems({ ...r, leaf7: { ...r.leaf7!, ebx: 0 } })).toEqual(['CPUID leaf 7 ebx lost avx2 (bit 5)']);
    expect(cpuidMaskProblems(parseCpuidMaskReport('off: arch_prctl(ARCH_SET_CPUID, 0) failed: No such device'))).toEqual(['the shim is off: arch_prctl(ARCH_SET_CPUID, 0) failed: No such device']);
    expect(cpuidMaskProblems(undefined)[0]).toMatch(/has no STRIDENET_CPUID_MASK: the shim did not load/);
    expect(cpuidMaskProblems(parseCpuidMaskReport('on garbage'))).toEqual(["the shim is off: unreadable report 'on garbage'"]);
  });

  it('puts the shim first in LD_PRELOAD and adds glibc tunables to the caller\'s', () => {
    expect(cpuidMaskEnv('/c/m.so', { PATH: '/bin' })).toEqual({ PATH: '/bin', LD_PRELOAD: '/c/m.so', GLIBC_TUNABLES: GLIBC_AVX512_OFF });
    expect(cpuidMaskEnv('/c/m.so', { LD_PRELOAD: '/x.so /y.so', GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' })).toMatchObject({
      LD_PRELOAD: '/c/m.so:/x.so:/y.so',
      GLIBC_TUNABLES: `glibc.malloc.arena_max=1:${GLIBC_AVX512_OFF}`,
    });
  });

  it('names why a host cannot hold', () => {
    expect(cpuidMaskUnavailable(['cpuid_fault'], 'linux', 'x64')).toBeUndefined();
    expect(cpuidMaskUnavailable(['avx512f'], 'linux', 'x64')).toBe('the CPU or hypervisor has no CPUID faulting (no cpuid_fault in /proc/cpuinfo)');
    expect(cpuidMaskUnavailable(['cpuid_fault'], 'darwin', 'arm64')).toBe('the CPUID mask needs Linux on x86-64 (this is darwin arm64)');
  });

  it('says when there is no compiler', () => {
    expect(() => buildCpuidMask(mkdtempSync(join(tmpdir(), 'cpuid-mask-')), 'no-such-cc-here')).toThrow("no C compiler: 'no-such-cc-here' is not on PATH (set CC)");
  });
});

const hasCc = spawnSync('cc', ['--version']).status === 0;
const flags = allCpuFlags();
const cannot = cpuidMaskUnavailable(flags) ?? (!flags.includes('avx512f') ? 'the CPU has no AVX-512 (nothing to mask)' : !hasCc ? 'no C compiler (cc)' : undefined);

/** A program that prints CPUID leaf 7, catches a NULL write in its own SIGSEGV handler, and prints the shim's counts. */
const PROGRAM = String.raw`
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
static sigjmp_buf back;
static void own(int sig) { (void)sig; siglongjmp(back, 1); }
int main(int argc, char **argv) {
  unsigned a, b, c, d;
  (void)argv;
  if (argc > 1) *(volatile int *)0 = 1; /* no handler of its own: the default action (killed by SIGSEGV) */
  __cpuid_count(7, 0, a, b, c, d);
  printf("leaf7 %08x %08x %08x\n", b, c, d);
  signal(SIGSEGV, own);
  if (sigsetjmp(back, 1) == 0) { *(volatile int *)0 = 1; printf("no fault\n"); } else printf("caught\n");
  __cpuid_count(7, 0, a, b, c, d);
  unsigned long (*emulated)(void) = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "stridenet_cpuid_mask_emulated");
  unsigned long (*passed)(void) = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "stridenet_cpuid_mask_passed");
  printf("emulated %ld passed %ld\n", emulated ? (long)emulated() : -1L, passed ? (long)passed() : -1L);
  return 0;
}
`;

describe.skipIf(cannot !== undefined)(`the CPUID mask on this host${cannot ? ` (skipped: ${cannot})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpuid-mask-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hides AVX-512 from CPUID leaf 7 (avx2 and fma stay) and passes other faults to the program\'s handler', () => {
    const shim = buildCpuidMask(join(dir, 'cache'));
    expect(buildCpuidMask(join(dir, 'cache'))).toBe(shim); // cached by the source's hash
    writeFileSync(join(dir, 'p.c'), PROGRAM);
    execFileSync('cc', ['-O1', '-o', join(dir, 'p'), join(dir, 'p.c'), '-ldl']);
    const leaf7 = (out: string) => out.split('\n')[0]!.split(' ').slice(1).map((x) => Number.parseInt(x, 16));
    const plain = execFileSync(join(dir, 'p'), { encoding: 'utf8' });
    expect((leaf7(plain)[0]! >>> 16) & 1, 'this CPU has avx512f').toBe(1);
    expect(plain).toContain('caught\nemulated -1 passed -1');
    const held = execFileSync(join(dir, 'p'), { encoding: 'utf8', env: cpuidMaskEnv(shim, { PATH: process.env.PATH }) });
    const [ebx, ecx, edx] = leaf7(held) as [number, number, number];
    expect((ebx >>> 16) & 1, 'avx512f masked').toBe(0);
    expect((ebx >>> 30) & 1, 'avx512bw masked').toBe(0);
    expect((ebx >>> 5) & 1, 'avx2 kept').toBe(1);
    expect((ecx >>> 11) & 1, 'avx512_vnni masked').toBe(0);
    expect((edx >>> 24) & 1, 'amx-tile masked').toBe(0);
    // FMA is leaf 1: untouched by the mask (the shim passes leaf 1 through).
    expect(held).toMatch(/caught\nemulated \d+ passed 1\n$/);
    // The constructor's read-back and the program's two CPUIDs went through the trap.
    expect(Number(/emulated (\d+)/.exec(held)![1])).toBeGreaterThanOrEqual(4);
    // Without a handler of the program's, a fault still kills it (no loop in the shim's handler).
    const crash = spawnSync(join(dir, 'p'), ['crash'], { env: cpuidMaskEnv(shim, { PATH: process.env.PATH }), timeout: 10_000 });
    expect(crash.signal).toBe('SIGSEGV');
  });

  it('keeps Node working under the shim: WebAssembly traps still reach V8\'s handler, and the report is in the environment', () => {
    const shim = buildCpuidMask(join(dir, 'cache'));
    // (func (param i32) (result i32) local.get 0 i32.load) over one 64 KiB page; 70000 is out of bounds.
    const js = `const b=new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,5,3,1,0,1,7,5,1,1,102,0,0,10,9,1,7,0,32,0,40,2,0,11]);
const f=new WebAssembly.Instance(new WebAssembly.Module(b)).exports.f;
let t='none';try{f(70000)}catch(e){t=e.constructor.name}
console.log(JSON.stringify({trap:t,ok:f(4),mask:process.env.${CPUID_MASK_ENV}}));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', js], { encoding: 'utf8', env: cpuidMaskEnv(shim, { PATH: process.env.PATH }) })) as { trap: string; ok: number; mask: string };
    expect(out.trap).toBe('RuntimeError');
    expect(out.ok).toBe(0);
    expect(cpuidMaskProblems(parseCpuidMaskReport(out.mask))).toEqual([]);
  });
});
