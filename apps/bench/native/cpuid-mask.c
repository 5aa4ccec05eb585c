/*
 * cpuid-mask.c: an LD_PRELOAD shim that makes every library of one process see this CPU without its
 * AVX-512 (and AMX) features, so ONNX Runtime's MLAS, which picks its kernels from CPUID leaf 7 and
 * XCR0 when it initialises, takes the AVX2/FMA3 kernels it takes on an AVX2-only machine of the same
 * microarchitecture (stridenet-bench --peer-isa avx2, src/cpuid-mask.ts).
 *
 * How: Linux CPUID faulting. After arch_prctl(ARCH_SET_CPUID, 0) the CPUID instruction of this thread
 * (and of every thread it creates later; execve resets it) raises SIGSEGV. The handler below emulates
 * it: faulting off for this thread, the real CPUID, faulting on again, the AVX-512 family cleared from
 * leaf 7, the result written into the interrupted registers, RIP past the two-byte instruction.
 * XGETBV cannot be trapped: XCR0 still says the OS saves the ZMM and opmask state, but every reader
 * that matters here (MLAS, ORT's CPUIDInfo, cpuinfo) also needs the CPUID bit, and an AVX2 machine's
 * kernel would save that state too where the hardware had it. Leaf 0xD (XSAVE area sizes) stays as it
 * is on purpose: code sizes XSAVE buffers from it, and XSAVE writes what XCR0 enables.
 *
 * Node (V8's WebAssembly trap handler) and others install their own SIGSEGV handlers. sigaction() and
 * signal() are interposed for SIGSEGV: the program's handler is recorded, this one stays installed
 * (with the program's flags and mask), and every fault that is not a CPUID is passed on to the
 * program's handler, or to the default action (SIG_DFL, or SIG_IGN for a fault raised by the CPU).
 *
 * Read-back: the constructor executes CPUID leaf 7 through the trap and puts what it saw, and the
 * addresses of the counts of emulated CPUIDs and of faults passed on (read through /proc/self/mem),
 * into the environment variable STRIDENET_CPUID_MASK ("on ..." or "off: why");
 * stridenet_cpuid_mask_emulated() and stridenet_cpuid_mask_passed() return the counts.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__x86_64__) || !defined(__linux__)
#error "cpuid-mask.c is for Linux on x86-64"
#endif

#define ARCH_SET_CPUID_ 0x1012

/* Leaf 7 subleaf 0, EBX: avx512f, dq, ifma, pf, er, cd, bw, vl. */
#define L7_EBX_MASK ((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
/* ECX: avx512_vbmi, vbmi2, vnni, bitalg, vpopcntdq. */
#define L7_ECX_MASK ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14))
/* EDX: avx512_4vnniw, 4fmaps, vp2intersect, amx-bf16, avx512_fp16, amx-tile, amx-int8. */
#define L7_EDX_MASK ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25))
/* Leaf 7 subleaf 1, EAX: avx512_bf16, amx-fp16. EDX: amx-complex, avx10. */
#define L7S1_EAX_MASK ((1u << 5) | (1u << 21))
#define L7S1_EDX_MASK ((1u << 8) | (1u << 19))

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef void (*sighandler_fn)(int);

static sigaction_fn real_sigaction_fn;
static volatile int active;
static unsigned long emulated;
/* SIGSEGVs passed on to the program (faults that were not a CPUID). */
static unsigned long passed;
/* The program's SIGSEGV disposition, double-buffered so the handler never reads a half-written one. */
static struct sigaction program_action[2];
static volatile int program_slot;

static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (!real_sigaction_fn) real_sigaction_fn = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  return real_sigaction_fn(sig, act, old);
}

static long cpuid_faulting(int on) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID_, on ? 0 : 1); }

static void mask_leaf(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
  if (leaf != 7) return;
  if (subleaf == 0) {
    r[1] &= ~L7_EBX_MASK;
    r[2] &= ~L7_ECX_MASK;
    r[3] &= ~L7_EDX_MASK;
  } else if (subleaf == 1) {
    r[0] &= ~L7S1_EAX_MASK;
    r[3] &= ~L7S1_EDX_MASK;
  }
}

static void set_program_action(const struct sigaction *act) {
  int next = program_slot ^ 1;
  program_action[next] = *act;
  __atomic_store_n(&program_slot, next, __ATOMIC_RELEASE);
}

/* Passes a fault that is not a CPUID on to what the program asked for. */
static void pass_on(int sig, siginfo_t *si, void *uc) {
  struct sigaction a = program_action[__atomic_load_n(&program_slot, __ATOMIC_ACQUIRE)];
  if (a.sa_flags & SA_RESETHAND) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    set_program_action(&dfl);
  }
  if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN) {
    if (a.sa_flags & SA_SIGINFO) a.sa_sigaction(sig, si, uc);
    else a.sa_handler(sig);
    return;
  }
  /* A signal sent by a process (kill, tgkill) under SIG_IGN is dropped. */
  if (a.sa_handler == SIG_IGN && si->si_code <= 0) return;
  /* Default action: restore it and let the signal happen again (a fault re-executes; a sent signal is re-raised). */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  real_sigaction(sig, &dfl, NULL);
  if (si->si_code <= 0) raise(sig);
}

static void on_segv(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = (ucontext_t *)ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  const unsigned char *ip = (const unsigned char *)g[REG_RIP];
  /* A faulting CPUID is a general-protection fault (si_code SI_KERNEL): RIP then points at code that was fetched. */
  if (active && si->si_code == SI_KERNEL && ip && ip[0] == 0x0f && ip[1] == 0xa2) {
    int saved_errno = errno;
    uint32_t leaf = (uint32_t)g[REG_RAX], subleaf = (uint32_t)g[REG_RCX], r[4];
    cpuid_faulting(0);
    __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
    cpuid_faulting(1);
    mask_leaf(leaf, subleaf, r);
    g[REG_RAX] = r[0];
    g[REG_RBX] = r[1];
    g[REG_RCX] = r[2];
    g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
    __atomic_add_fetch(&emulated, 1, __ATOMIC_RELAXED);
    errno = saved_errno;
    return;
  }
  __atomic_add_fetch(&passed, 1, __ATOMIC_RELAXED);
  pass_on(sig, si, ucv);
}

/* The flags and mask the program asked for, with this handler. */
static void install(const struct sigaction *program) {
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  if (program) {
    ours.sa_mask = program->sa_mask;
    ours.sa_flags = program->sa_flags;
  } else {
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = SA_ONSTACK;
  }
  ours.sa_flags = (ours.sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
  ours.sa_sigaction = on_segv;
  real_sigaction(SIGSEGV, &ours, NULL);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (sig != SIGSEGV || !active) return real_sigaction(sig, act, old);
  if (old) *old = program_action[__atomic_load_n(&program_slot, __ATOMIC_ACQUIRE)];
  if (act) {
    set_program_action(act);
    install(act);
  }
  return 0;
}

sighandler_fn signal(int sig, sighandler_fn handler) {
  struct sigaction act, old;
  if (sig != SIGSEGV || !active) {
    sighandler_fn (*real_signal)(int, sighandler_fn) = (sighandler_fn(*)(int, sighandler_fn))dlsym(RTLD_NEXT, "signal");
    return real_signal(sig, handler);
  }
  /* glibc's signal(): BSD semantics (the handler stays, SIGSEGV is blocked while it runs, calls restart). */
  memset(&act, 0, sizeof act);
  act.sa_handler = handler;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, sig);
  act.sa_flags = SA_RESTART;
  if (sigaction(sig, &act, &old) < 0) return SIG_ERR;
  return old.sa_handler;
}

unsigned long stridenet_cpuid_mask_emulated(void) { return __atomic_load_n(&emulated, __ATOMIC_RELAXED); }
unsigned long stridenet_cpuid_mask_passed(void) { return __atomic_load_n(&passed, __ATOMIC_RELAXED); }

__attribute__((constructor)) static void cpuid_mask_init(void) {
  char report[256];
  struct sigaction before;
  if (real_sigaction(SIGSEGV, NULL, &before) != 0) {
    snprintf(report, sizeof report, "off: sigaction(SIGSEGV) failed: %s", strerror(errno));
    setenv("STRIDENET_CPUID_MASK", report, 1);
    return;
  }
  program_action[0] = before;
  install(NULL);
  if (cpuid_faulting(1) != 0) {
    int e = errno;
    real_sigaction(SIGSEGV, &before, NULL);
    snprintf(report, sizeof report, "off: arch_prctl(ARCH_SET_CPUID, 0) failed: %s", strerror(e));
    setenv("STRIDENET_CPUID_MASK", report, 1);
    return;
  }
  active = 1;
  uint32_t a, b, c, d, a1 = 0, d1 = 0;
  __cpuid_count(7, 0, a, b, c, d);
  if (a >= 1) {
    uint32_t b1, c1;
    __cpuid_count(7, 1, a1, b1, c1, d1);
  }
  snprintf(report, sizeof report, "on leaf7.0 ebx=%08x ecx=%08x edx=%08x leaf7.1 eax=%08x edx=%08x emulated=%p passed=%p", b, c, d, a1, d1, (void *)&emulated, (void *)&passed);
  setenv("STRIDENET_CPUID_MASK", report, 1);
}
