/**
 * `--peer-isa`: the instruction set the peers may use. Issue #12 asks for ratios "on an AVX2-only
 * machine"; on an AVX-512 host `native-avx2` against peers running their AVX-512 kernels is not that
 * comparison. 'avx2' holds each peer to AVX2 where it has a switch, and every runner reports the ISA
 * its kernels ran (RunnerInfo.isa), read back from the library where it can be.
 *
 * Switches, each checked on the Zen 5 host (AVX-512, Debian's torch 1.13.1 with the shared oneDNN
 * 2.6.3 and the reference libblas3; onnxruntime-node 1.30.0):
 * - PyTorch's convolutions run oneDNN: ONEDNN_MAX_CPU_ISA=AVX2 (DNNL_MAX_CPU_ISA for older
 *   releases) moves ONEDNN_VERBOSE's primitives from `jit:avx512_core` (aBcd16b blocking) to
 *   `jit:avx2` (aBcd8b), and dnnl_get_effective_cpu_isa() from 0xe7 (avx512_core_bf16) to 0x7.
 * - ATen's own vectorised kernels (pooling, elementwise): ATEN_CPU_CAPABILITY=avx2. torch 1.12+
 *   already defaults to AVX2 (AVX-512 is opt-in, pytorch#80253); set anyway so a build that changes
 *   the default stays held. Its max pool 3x3/2 measured 10-25% slower with ATEN_CPU_CAPABILITY=avx512.
 * - BLAS: OPENBLAS_CORETYPE=Haswell (DYNAMIC_ARCH OpenBLAS), MKL_ENABLE_INSTRUCTIONS=AVX2 (MKL
 *   builds). Debian's torch here maps netlib's reference libblas (no AVX-512 code), so neither applies.
 * - ONNX Runtime: no switch of its own. MLAS picks its kernels from CPUID leaf 7 and XCR0 when it
 *   initialises (onnxruntime/core/mlas/lib/platform.cpp: avx2 and FMA, then avx512f with XCR0's ZMM and
 *   opmask state, then avx512bw/dq/vl and avx512_vnni; AMX tile/int8 for its u8s8 GEMM); no environment
 *   variable or session option caps them (the 1.30 library's only `mlas.*` keys are KleidiAI (Arm), LUT
 *   GEMM and an NCHWc batch size). So the runner runs ORT in a child process (runners/onnx-child.ts) and,
 *   under avx2 on an AVX-512 CPU, starts that child with the CPUID mask (cpuid-mask.ts,
 *   native/cpuid-mask.c): Linux CPUID faulting plus a SIGSEGV handler that answers every CPUID of the
 *   child with leaf 7's AVX-512 and AMX bits cleared, and GLIBC_TUNABLES holding glibc's own memcpy & co.
 *   MLAS then sees what it sees on an AVX2-only CPU of this microarchitecture. The child reads leaf 7 back
 *   through the trap; where it still shows AVX-512 the runner does not start. Its ISA reads 'AVX2/FMA3
 *   (--peer-isa avx2, CPUID masked)'. Where the mask cannot be built (not Linux x64, no cpuid_fault, no C
 *   compiler) ORT runs unheld, its ISA reads 'AVX-512 (not held)' and a note names the reason.
 */

export const PEER_ISAS = ['auto', 'avx2'] as const;
export type PeerIsa = (typeof PEER_ISAS)[number];

/** '--peer-isa' value to PeerIsa; throws naming the value and what is expected. */
export function parsePeerIsa(v: string): PeerIsa {
  const s = v.trim().toLowerCase();
  if ((PEER_ISAS as readonly string[]).includes(s)) return s as PeerIsa;
  throw new Error(`--peer-isa is '${v}' but expected ${PEER_ISAS.join(' or ')}`);
}

/** Environment variables that hold the PyTorch child to AVX2 (read when torch and its libraries load). */
export const TORCH_AVX2_ENV: Readonly<Record<string, string>> = {
  ATEN_CPU_CAPABILITY: 'avx2',
  ONEDNN_MAX_CPU_ISA: 'AVX2',
  DNNL_MAX_CPU_ISA: 'AVX2',
  OPENBLAS_CORETYPE: 'Haswell',
  MKL_ENABLE_INSTRUCTIONS: 'AVX2',
};

/** What the PyTorch child reads back about its kernels (python/torch_runner.py isa_report). */
export interface TorchIsaReport {
  /** ATen's CPU capability: 'AVX2', 'AVX512', 'DEFAULT', ... */
  aten: string | null;
  /** dnnl_get_effective_cpu_isa(), or null when oneDNN is not a shared library it can ask. */
  onednn: number | null;
  onednnLibrary?: string | null;
  /** BLAS_INFO of torch's build settings ('generic', 'mkl', 'open'). */
  blasInfo?: string | null;
  /** BLAS libraries mapped into the process. */
  blas: string[];
  /** openblas_get_corename() when the BLAS is OpenBLAS. */
  openblasCore: string | null;
}

/** oneDNN's dnnl_cpu_isa_t values on x86-64 (2.x and 3.x share these; aarch64 numbers its own). */
const DNNL_ISAS: Record<number, string> = {
  0x1: 'sse41',
  0x3: 'avx',
  0x7: 'avx2',
  0x407: 'avx2_vnni',
  0xc07: 'avx2_vnni_2',
  0xf: 'avx512_mic',
  0x1f: 'avx512_mic_4ops',
  0x27: 'avx512_core',
  0x67: 'avx512_core_vnni',
  0xe7: 'avx512_core_bf16',
  0x1ef: 'avx512_core_fp16',
  0x3e7: 'avx512_core_amx',
  0xfef: 'avx512_core_amx_fp16',
};

export const dnnlIsaName = (code: number): string => DNNL_ISAS[code] ?? `0x${code.toString(16)}`;
/** Every AVX-512 level of dnnl_cpu_isa_t carries the avx512_core (0x20) or avx512_mic (0x8) bit; the AVX2 ones neither. */
export const dnnlIsAvx512 = (code: number): boolean => (code & 0x28) !== 0;

/** OpenBLAS core names that run AVX-512 kernels. */
const OPENBLAS_AVX512 = /^(skylakex|cooperlake|sapphirerapids)$/i;

/**
 * The ISA line of the PyTorch runner, and what contradicts `--peer-isa avx2` (the runner then does
 * not start: a peer that was asked to be held to AVX2 and is not must not stand in the tables as if it were).
 */
export function torchIsa(r: TorchIsaReport, peerIsa: PeerIsa, arch: string = process.arch): { isa: string; problems: string[] } {
  const problems: string[] = [];
  const held = peerIsa === 'avx2';
  const name = (code: number) => (arch === 'x64' ? dnnlIsaName(code) : `isa 0x${code.toString(16)}`);
  const onednn = r.onednn === null ? `oneDNN not readable (linked into torch)${held ? ', ONEDNN_MAX_CPU_ISA=AVX2 set' : ''}` : `oneDNN ${name(r.onednn)}`;
  if (held && r.onednn !== null && dnnlIsAvx512(r.onednn)) problems.push(`oneDNN runs ${dnnlIsaName(r.onednn)} although ONEDNN_MAX_CPU_ISA=AVX2 is set`);
  const aten = `ATen ${r.aten ?? 'unknown'}`;
  if (held && (r.aten === null || /512/.test(r.aten))) problems.push(`ATen's capability is ${r.aten ?? 'unknown'} although ATEN_CPU_CAPABILITY=avx2 is set`);
  let blas: string;
  if (r.openblasCore) {
    blas = `OpenBLAS ${r.openblasCore}`;
    if (held && OPENBLAS_AVX512.test(r.openblasCore)) problems.push(`OpenBLAS runs its ${r.openblasCore} kernels although OPENBLAS_CORETYPE=Haswell is set`);
  } else if (r.blas.length) {
    blas = r.blas.map((p) => p.split('/').slice(-2).join('/')).join(' + ');
  } else {
    blas = `${r.blasInfo ?? 'unknown'} (linked into torch${held && r.blasInfo === 'mkl' ? ', MKL_ENABLE_INSTRUCTIONS=AVX2 set' : ''})`;
  }
  return { isa: `${onednn}, ${aten}, BLAS ${blas}${held ? ' (--peer-isa avx2)' : ''}`, problems };
}

/**
 * ONNX Runtime's ISA: what MLAS picks from the CPU flags, or AVX2/FMA3 where the CPUID mask held it
 * (`held`: the child's leaf 7 read back without AVX-512).
 */
export function onnxIsa(cpuFlags: readonly string[], peerIsa: PeerIsa = 'auto', held = false): string {
  if (held) return 'AVX2/FMA3 (--peer-isa avx2, CPUID masked)';
  if (cpuFlags.includes('avx512f')) return peerIsa === 'avx2' ? 'AVX-512 (not held)' : 'AVX-512';
  if (cpuFlags.includes('avx2') && cpuFlags.includes('fma')) return 'AVX2/FMA3';
  return cpuFlags.includes('avx') ? 'AVX' : 'SSE';
}

/** The note ONNX Runtime carries when the CPUID mask held it to AVX2. */
export const ONNX_CPUID_MASK_NOTE =
  '--peer-isa avx2: the child runs with the CPUID mask (LD_PRELOAD, CPUID faulting), so MLAS saw CPUID leaf 7 without AVX-512 or AMX and picked its AVX2/FMA3 kernels; glibc held by GLIBC_TUNABLES';

/** The note ONNX Runtime carries under --peer-isa avx2 on an AVX-512 CPU where the mask could not be applied. */
export const onnxNotHeldNote = (reason: string): string =>
  `--peer-isa avx2 does not reach ONNX Runtime here (${reason}): MLAS picks its kernels from CPUID and XCR0 when it initialises, no environment variable or session option caps them, and without the CPUID mask it runs its AVX-512 kernels`;
