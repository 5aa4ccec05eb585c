import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuFlags } from './env.js';
import { mergeReports } from './merge.js';
import { ONNX_CPUID_MASK_NOTE, TORCH_AVX2_ENV, dnnlIsAvx512, onnxIsa, onnxNotHeldNote, parsePeerIsa, torchIsa, type TorchIsaReport } from './peer-isa.js';
import { regenerate } from './readme.js';
import { markdown, terminalTable } from './report.js';
import { allCpuFlags, cpuidMaskUnavailable } from './cpuid-mask.js';
import { deviation, makeInputs } from './data.js';
import { createOnnxRunner, onnxChildEnv } from './runners/onnx.js';
import type { Runner } from './runners/types.js';
import { suiteWorkloads } from './workloads.js';
import { setBackend } from '@stridenet/core';
import { createCpuBackend } from '@stridenet/cpu-js';
import { PYTHON, createTorchRunner, torchChildEnv } from './runners/torch.js';
import { syntheticReport } from './testutil.js';

/** What Debian's torch 1.13 reads back on an AVX-512 host (python/torch_runner.py isa_report). */
const debian = (onednn: number | null, aten = 'AVX2'): TorchIsaReport => ({
  aten,
  onednn,
  onednnLibrary: '/usr/lib/x86_64-linux-gnu/libdnnl.so.2.6',
  blasInfo: 'generic',
  blas: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0'],
  openblasCore: null,
});

describe('--peer-isa', () => {
  it('parses auto and avx2 (any case) and rejects anything else, naming what is expected', () => {
    expect(parsePeerIsa('auto')).toBe('auto');
    expect(parsePeerIsa('AVX2')).toBe('avx2');
    expect(() => parsePeerIsa('avx512')).toThrow("--peer-isa is 'avx512' but expected auto or avx2");
    expect(() => parsePeerIsa('')).toThrow(/expected auto or avx2/);
  });

  it('gives the PyTorch child the AVX2 caps under avx2, and leaves its ISA alone under auto', () => {
    const base = { PATH: '/usr/bin', HOME: '/root' };
    const held = torchChildEnv(2, 'ACTIVE', 'avx2', base);
    expect(held).toMatchObject({ PATH: '/usr/bin', OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'ACTIVE', ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2', DNNL_MAX_CPU_ISA: 'AVX2', OPENBLAS_CORETYPE: 'Haswell', MKL_ENABLE_INSTRUCTIONS: 'AVX2' });
    const auto = torchChildEnv(1, 'PASSIVE', 'auto', base);
    for (const k of Object.keys(TORCH_AVX2_ENV)) expect(auto[k]).toBeUndefined();
    expect(auto).toMatchObject({ OMP_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' });
    // glibc malloc keeps freed activations (no mmap, no trim) unless the caller set its own.
    expect(auto).toMatchObject({ MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 40) });
    expect(torchChildEnv(1, 'PASSIVE', 'auto', { MALLOC_MMAP_MAX_: '65536' })).toMatchObject({ MALLOC_MMAP_MAX_: '65536', MALLOC_TRIM_THRESHOLD_: String(2 ** 40) });
    // A cap asked for on the command line wins over the caller's environment.
    expect(torchChildEnv(1, 'PASSIVE', 'avx2', { ATEN_CPU_CAPABILITY: 'avx512', ONEDNN_MAX_CPU_ISA: 'ALL' })).toMatchObject({ ATEN_CPU_CAPABILITY: 'avx2', ONEDNN_MAX_CPU_ISA: 'AVX2' });
  });

  it("names PyTorch's ISA from what the child read back, and refuses AVX-512 under avx2", () => {
    expect(torchIsa(debian(0x7), 'avx2')).toEqual({ isa: 'oneDNN avx2, ATen AVX2, BLAS blas/libblas.so.3.11.0 (--peer-isa avx2)', problems: [] });
    expect(torchIsa(debian(0xe7), 'auto')).toEqual({ isa: 'oneDNN avx512_core_bf16, ATen AVX2, BLAS blas/libblas.so.3.11.0', problems: [] });
    expect(torchIsa(debian(0xe7), 'avx2').problems).toEqual(['oneDNN runs avx512_core_bf16 although ONEDNN_MAX_CPU_ISA=AVX2 is set']);
    expect(torchIsa(debian(0x7, 'AVX512'), 'avx2').problems).toEqual(["ATen's capability is AVX512 although ATEN_CPU_CAPABILITY=avx2 is set"]);
    const openblas = { ...debian(0x7), blas: ['/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3'], openblasCore: 'SkylakeX' };
    expect(torchIsa(openblas, 'avx2').problems).toEqual(['OpenBLAS runs its SkylakeX kernels although OPENBLAS_CORETYPE=Haswell is set']);
    expect(torchIsa({ ...openblas, openblasCore: 'Haswell' }, 'avx2')).toEqual({ isa: 'oneDNN avx2, ATen AVX2, BLAS OpenBLAS Haswell (--peer-isa avx2)', problems: [] });
    // A wheel links oneDNN and MKL statically: nothing to read back, and the line says so.
    expect(torchIsa({ aten: 'AVX2', onednn: null, blasInfo: 'mkl', blas: [], openblasCore: null }, 'avx2').isa).toBe(
      'oneDNN not readable (linked into torch), ONEDNN_MAX_CPU_ISA=AVX2 set, ATen AVX2, BLAS mkl (linked into torch, MKL_ENABLE_INSTRUCTIONS=AVX2 set) (--peer-isa avx2)',
    );
    // aarch64 numbers its oneDNN ISAs differently (0x7 is sve_256 there): no x86 name for them.
    expect(torchIsa(debian(0x7), 'auto', 'arm64').isa).toMatch(/^oneDNN isa 0x7, /);
    expect([0x7, 0x407, 0xc07, 0x3, 0x1].map(dnnlIsAvx512)).toEqual([false, false, false, false, false]);
    expect([0x27, 0x67, 0xe7, 0x1ef, 0x3e7, 0xf].map(dnnlIsAvx512)).toEqual([true, true, true, true, true, true]);
  });

  it("names ONNX Runtime's ISA: AVX-512 under auto, AVX2/FMA3 where the CPUID mask held it, 'not held' otherwise", () => {
    const avx512 = ['avx', 'avx2', 'fma', 'avx512f'];
    expect(onnxIsa(avx512)).toBe('AVX-512');
    expect(onnxIsa(avx512, 'avx2', true)).toBe('AVX2/FMA3 (--peer-isa avx2, CPUID masked)');
    expect(onnxIsa(avx512, 'avx2', false)).toBe('AVX-512 (not held)');
    expect(onnxIsa(['avx', 'avx2', 'fma'], 'avx2')).toBe('AVX2/FMA3');
    expect(onnxNotHeldNote('no C compiler')).toMatch(/^--peer-isa avx2 does not reach ONNX Runtime here \(no C compiler\): MLAS picks its kernels from CPUID/);
  });

  it("gives the ONNX Runtime child the shim only when held, and never a stale read-back variable", () => {
    const base = { PATH: '/usr/bin', STRIDENET_CPUID_MASK: 'on stale', LD_PRELOAD: '/x.so' };
    expect(onnxChildEnv(undefined, base)).toEqual({ PATH: '/usr/bin', LD_PRELOAD: '/x.so' });
    expect(onnxChildEnv('/c/m.so', base)).toMatchObject({ LD_PRELOAD: '/c/m.so:/x.so', GLIBC_TUNABLES: expect.stringMatching(/^glibc\.cpu\.hwcaps=-AVX512F,/) });
    expect(onnxChildEnv('/c/m.so', base).STRIDENET_CPUID_MASK).toBeUndefined();
  });

  it('puts every runner\'s ISA and the setting into bench.md, the terminal table and README blocks', () => {
    const r = syntheticReport({ 'model/lenet5/infer': { 'native-avx2': 2, onnxruntime: 1, torch: 3 } });
    r.settings.peerIsa = 'avx2';
    const isa: Record<string, string> = { 'native-avx2': 'avx2', onnxruntime: 'AVX2/FMA3 (--peer-isa avx2, CPUID masked)', torch: 'oneDNN avx2, ATen AVX2, BLAS blas/libblas.so.3.11.0 (--peer-isa avx2)' };
    for (const x of r.runners) x.isa = isa[x.id];
    const md = markdown(r, 'torch');
    expect(md).toContain('Peers held to AVX2 where they have a switch (`--peer-isa avx2`). Instruction sets: native-avx2 avx2; onnxruntime AVX2/FMA3 (--peer-isa avx2, CPUID masked); torch oneDNN avx2, ATen AVX2');
    expect(md).toContain('- **torch** (1T requested): torch 0, 1 thread(s), ISA: oneDNN avx2, ATen AVX2');
    expect(terminalTable(r, 'torch')).toContain('Instruction sets: native-avx2 avx2;');
    const block = regenerate('<!-- stridenet-bench:begin table runners=native-avx2,torch baseline=torch -->\n<!-- stridenet-bench:end -->', { default: r });
    expect(block).toContain('Instruction sets: native-avx2 avx2; torch oneDNN avx2, ATen AVX2, BLAS blas/libblas.so.3.11.0 (--peer-isa avx2).');
    expect(block).not.toContain('onnxruntime AVX2');
    // A file from before ISAs were recorded renders as it did.
    expect(markdown(syntheticReport({ 'model/lenet5/infer': { torch: 3 } }))).not.toContain('Instruction sets');
  });

  it('refuses to merge an avx2 run with an auto run (the peer cells would mix instruction sets)', () => {
    const a = syntheticReport({ 'model/lenet5/infer': { torch: 3 } });
    const b = syntheticReport({ 'model/lenet5/infer': { torch: 2 } });
    b.settings.peerIsa = 'avx2';
    expect(() => mergeReports([a, b])).toThrow('merge: the runs differ in --peer-isa (auto, avx2)');
    a.settings.peerIsa = 'avx2';
    expect(mergeReports([a, b]).settings.peerIsa).toBe('avx2');
  });
});

const torchImports = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 60_000 }).status === 0;
const avx512Host = cpuFlags().includes('avx512f');

describe.skipIf(!torchImports)('the PyTorch child under --peer-isa (real torch)', () => {
  it('runs oneDNN and ATen at AVX2 under avx2, read back from the libraries', async () => {
    const r = await createTorchRunner(1, { probeSeconds: 0, activeCooldown: 0, peerIsa: 'avx2' });
    if (typeof r === 'string') throw new Error(r);
    try {
      expect(r.info.isa).toMatch(/^oneDNN (avx2|not readable[^,]*, ONEDNN_MAX_CPU_ISA=AVX2 set), ATen AVX2, BLAS .* \(--peer-isa avx2\)$/);
    } finally {
      await r.close();
    }
  }, 60_000);

  it.skipIf(!avx512Host)('runs oneDNN at AVX-512 under auto on an AVX-512 host (so the avx2 cap is what moved it)', async () => {
    const r = await createTorchRunner(1, { probeSeconds: 0, activeCooldown: 0, peerIsa: 'auto' });
    if (typeof r === 'string') throw new Error(r);
    try {
      expect(r.info.isa).toMatch(/^oneDNN (avx512_\w+|not readable)/);
    } finally {
      await r.close();
    }
  }, 60_000);
});

let hasOrt = true;
try {
  await import('onnxruntime-node');
} catch {
  hasOrt = false;
}
const hostFlags = allCpuFlags();
const noHold = cpuidMaskUnavailable(hostFlags) ?? (spawnSync('cc', ['--version']).status !== 0 ? 'no C compiler (cc)' : undefined);

/** LeNet-5 inference on a runner: the first output and the shim's counts (held runners). */
async function lenet(r: Runner): Promise<Float32Array> {
  const w = suiteWorkloads('models', { smoke: true, gemmSize: 0 }).find((x) => x.id.includes('lenet5') && x.id.includes('infer'))!;
  await setBackend(await createCpuBackend());
  const p = await r.prepare(w, await makeInputs(w));
  try {
    const s = await p.runIterations(3);
    expect(s).toBeGreaterThan(0);
    expect(await p.rss()).toBeGreaterThan(10 << 20);
    return await p.output();
  } finally {
    await p.dispose();
  }
}

describe.skipIf(!hasOrt)('ONNX Runtime in its child process under --peer-isa', () => {
  it('runs LeNet-5 under auto with the CPU\'s ISA and no mask', async () => {
    const r = await createOnnxRunner(1, 'auto');
    if (typeof r === 'string') throw new Error(r);
    try {
      expect(r.info.isa).toBe(avx512Host ? 'AVX-512' : onnxIsa(cpuFlags()));
      expect(r.info.notes?.some((n) => n.startsWith('--peer-isa'))).toBe(false);
      expect((await lenet(r)).length).toBeGreaterThan(0);
    } finally {
      await r.close();
    }
  });

  it.skipIf(!avx512Host || noHold !== undefined)(`holds it to AVX2 by the CPUID mask on an AVX-512 host, same LeNet-5 output${noHold ? ` (skipped: ${noHold})` : ''}`, async () => {
    const [auto, held] = [await createOnnxRunner(1, 'auto'), await createOnnxRunner(1, 'avx2')];
    if (typeof auto === 'string') throw new Error(auto);
    if (typeof held === 'string') throw new Error(held);
    try {
      expect(held.info.isa).toBe('AVX2/FMA3 (--peer-isa avx2, CPUID masked)');
      expect(held.info.notes).toContain(ONNX_CPUID_MASK_NOTE);
      const [a, b] = [await lenet(auto), await lenet(held)];
      expect(deviation(a, b).relative).toBeLessThan(1e-4);
      // MLAS's set-up went through the trap; the timed batches did not (runIterations throws if they did).
      const counts = await (held as unknown as { shimCounts(): Promise<{ emulated?: number }> }).shimCounts();
      expect(counts.emulated).toBeGreaterThan(20);
    } finally {
      await auto.close();
      await held.close();
    }
  });

  it.skipIf(!avx512Host)('says why where the mask cannot be built, and does not start where it did not take', async () => {
    const unbuilt = await createOnnxRunner(1, 'avx2', {
      buildMask: () => {
        throw new Error('no C compiler: \'cc\' is not on PATH (set CC)');
      },
    });
    if (typeof unbuilt === 'string') throw new Error(unbuilt);
    try {
      expect(unbuilt.info.isa).toBe('AVX-512 (not held)');
      expect(unbuilt.info.notes).toContain(onnxNotHeldNote(cpuidMaskUnavailable(hostFlags) ?? "no C compiler: 'cc' is not on PATH (set CC)"));
    } finally {
      await unbuilt.close();
    }
    if (noHold) return;
    // A library the loader cannot preload: the child starts without the mask, and the runner refuses it.
    const refused = await createOnnxRunner(1, 'avx2', { buildMask: () => '/nonexistent/cpuid-mask.so' });
    expect(refused).toMatch(/^--peer-isa avx2 cannot hold ONNX Runtime to AVX2: the child has no STRIDENET_CPUID_MASK: the shim did not load/);
  });
});
