// Checks and times the native backend's ISA paths without Node.js, so that a path can be verified on a
// machine that has the CPU but no Node (AVX-512 servers), or under qemu (ARM64 NEON).
//
// Every KernelSet entry of every path this CPU runs, and sn::gemm, is compared with a double-precision reference on
// geometries chosen to reach each algorithm (tiled, Winograd, depthwise, per-phase strided input
// gradient) and each edge (vector and tile remainders, rows packed side by side, padding, NaN and Inf in
// pooling windows), with one and several threads, and through the runtime's packed-filter cache (first
// call, reuse, new filter version). Inputs end at an inaccessible page, so a read past them faults;
// outputs start as NaN between guard zones, so a value never written or one written outside shows up.
//
//   isa-check [--isa NAME] [--bench] [--bench-only TEXT] [--reps N] [--cpu-time] [--threads N,M] [--columns LIST] [--epilogue]
//
// Exit status 1 when any check fails. --bench then times the direct convolutions (pointwise layers the
// direct kernels do not take by the kernels' GEMM path) and measures each path's single-thread FMA peak; --bench-only skips the checks and times only the layers whose
// description contains TEXT (e.g. " s2", "224x224"; "" for all; "A|B" for either); --reps N times each layer best of N
// (default 5) on a busy machine; --cpu-time times by process CPU seconds, one thread only, so that
// preemption by other processes drops out (cache refills after it do not); --threads 1,2 times with
// those pool sizes (wall time) instead of 1 and all; --columns forward,const times only those bench cells
// (forward, const, input, filter); --epilogue gives the forward cells a bias, a residual and relu (the fused layers
// of a compiled model). Built by scripts/build-isa-check.sh, with isa-check-conv.cc (convolution
// cases) and isa-check-pool.cc (pooling cases); isa-check-common.h holds what they share.

#include "isa-check-common.h"
#include "isa-check-conv.h"
#include "isa-check-pool.h"

#include "../src/native/gemm.h"
#include "../src/native/generated/spec.h"
#include "../src/native/simd/portable.h"
#include "../src/native/simd/simd.h"

// Before the target regions below, so that its inline functions stay baseline code (see simd/simd.h).
#if SN_X86
#include <immintrin.h>
#endif

// The FMA peak loop of ISA description S: 2 x kMaxMR independent accumulators, the register budget of the
// kernels' own tiles, which covers the FMA latency on the unit counts these ISAs ship with. A macro
// because it must be compiled inside S's target region (S's operations are always-inline functions of
// that target), once per region. acc * 0.999999 + 1e-6 stays finite and never denormal.
#define SN_DEFINE_FMA_LOOP(name, S)                                                                   \
  float name(int64_t iters) {                                                                         \
    constexpr int kAcc = 2 * S::kMaxMR;                                                               \
    const S::V scale = S::set1(0.999999f), step = S::set1(1e-6f);                                     \
    S::V acc[kAcc];                                                                                   \
    _Pragma("GCC unroll 32") for (int i = 0; i < kAcc; i++) acc[i] = S::set1(static_cast<float>(i)); \
    for (int64_t it = 0; it < iters; it++) {                                                          \
      _Pragma("GCC unroll 32") for (int i = 0; i < kAcc; i++) acc[i] = S::fma(acc[i], scale, step);   \
    }                                                                                                 \
    S::V sum = S::zero();                                                                             \
    for (int i = 0; i < kAcc; i++) sum = S::add(sum, acc[i]);                                         \
    float lanes[S::N], total = 0;                                                                     \
    S::store(lanes, sum);                                                                             \
    for (float v : lanes) total += v;                                                                 \
    return total;                                                                                     \
  }

// The masked-store contract of ISA description S (simd.h): for every lane mask, exactly the masked lanes
// are written and nothing before or after the vector (AVX2 stores runs of lanes in pieces, not with
// VMASKMOVPS). Returns the number of masks that break it.
#define SN_DEFINE_MASK_STORE_CHECK(name, S)                                                 \
  int name() {                                                                              \
    constexpr int N = S::N;                                                                 \
    float lanes[N], buf[3 * N];                                                             \
    for (int l = 0; l < N; l++) lanes[l] = static_cast<float>(l + 1);                       \
    const S::V v = S::load(lanes);                                                          \
    int bad = 0;                                                                            \
    for (uint32_t b = 0; b < (1u << N); b++) {                                              \
      for (float& f : buf) f = -1.f;                                                        \
      S::maskStore(buf + N, S::mask(b), v);                                                 \
      bool ok = true;                                                                       \
      for (int i = 0; i < 3 * N; i++) {                                                     \
        const int l = i - N;                                                                \
        const bool in = l >= 0 && l < N && (b >> l & 1u);                                   \
        ok = ok && buf[i] == (in ? lanes[l] : -1.f);                                        \
      }                                                                                     \
      bad += ok ? 0 : 1;                                                                    \
    }                                                                                       \
    return bad;                                                                             \
  }

namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopPortable, simd::Portable)
SN_DEFINE_MASK_STORE_CHECK(maskStorePortable, simd::Portable)
}  // namespace check
}  // namespace sn

#if SN_X86
SN_TARGET_BEGIN("avx2,fma")
#include "../src/native/simd/avx2.h"
namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopAvx2, simd::Avx2)
SN_DEFINE_MASK_STORE_CHECK(maskStoreAvx2, simd::Avx2)
}  // namespace check
}  // namespace sn
SN_TARGET_END

SN_TARGET_BEGIN("avx512f")
#include "../src/native/simd/avx512.h"
namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopAvx512, simd::Avx512)
SN_DEFINE_MASK_STORE_CHECK(maskStoreAvx512, simd::Avx512)
}  // namespace check
}  // namespace sn
SN_TARGET_END
#endif

#if defined(__aarch64__)
#include "../src/native/simd/neon.h"
namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopNeon, simd::Neon)
SN_DEFINE_MASK_STORE_CHECK(maskStoreNeon, simd::Neon)
}  // namespace check
}  // namespace sn
#endif

namespace sn {
namespace check {
namespace {

// ---------------------------------------------------------------------------------------------------
// Crash reports: a kernel that reads past its input or runs an instruction the CPU lacks would otherwise
// end the run with no hint of which call it was (the label of the running call is gRunning, set by
// running() in isa-check-common.h).

void onFatalSignal(int sig) {
  const char* what = sig == SIGSEGV || sig == SIGBUS ? "memory fault (a read past an input?)"
                     : sig == SIGILL            ? "illegal instruction (code for another ISA?)"
                                                : "fatal signal";
  const char* parts[] = {"\nFAIL: ", what, " in ", gRunning, "\n"};
  for (const char* p : parts) {
    ssize_t ignored = write(2, p, std::strlen(p));
    (void)ignored;
  }
  _exit(1);
}

// ---------------------------------------------------------------------------------------------------
// Timing.

/** --cpu-time: time by the process's CPU seconds (one thread only), so time lost to preemption drops out. */
bool gCpuTime = false;

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double seconds(const std::function<void()>& fn) {
  if (gCpuTime) {
    const double c0 = cpuSeconds();
    fn();
    return cpuSeconds() - c0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/** --threads 1,2: the pool sizes the bench times (default 1 and all; --cpu-time then sums every thread's time). */
std::vector<int> gThreads;

/** Timed runs per measurement (--reps; more on a busy machine). */
int gReps = 5;

/** --columns forward,const,input,filter: the bench cells timed (default all; the others print "-"). */
std::string gColumns;

/** --epilogue: the forward and const cells add a bias and a residual (of the output's size) and apply relu. */
bool gEpilogue = false;

bool wantColumn(const char* name) {
  if (gColumns.empty()) return true;
  const std::string list = "," + gColumns + ",";
  return list.find("," + std::string(name) + ",") != std::string::npos;
}

/** Best of gReps after a warm-up (which also sizes the scratch buffers). */
double bestOf5(const std::function<void()>& fn) {
  fn();
  double best = kInf;
  for (int i = 0; i < gReps; i++) best = std::min(best, seconds(fn));
  return best;
}

using FmaLoop = float (*)(int64_t);

struct PeakLoop {
  FmaLoop loop;
  int lanes, accumulators;
};

bool peakLoop(Isa isa, PeakLoop& out) {
  switch (isa) {
#if SN_X86
    case Isa::Avx512:
      out = {fmaLoopAvx512, simd::Avx512::N, 2 * simd::Avx512::kMaxMR};
      return true;
    case Isa::Avx2:
      out = {fmaLoopAvx2, simd::Avx2::N, 2 * simd::Avx2::kMaxMR};
      return true;
#endif
#if defined(__aarch64__)
    case Isa::Neon:
      out = {fmaLoopNeon, simd::Neon::N, 2 * simd::Neon::kMaxMR};
      return true;
#endif
    case Isa::Portable:
      out = {fmaLoopPortable, simd::Portable::N, 2 * simd::Portable::kMaxMR};
      return true;
    default:
      return false;
  }
}

/** Masks whose masked store breaks the contract on `isa` (0: all pass). */
int maskStoreFailures(Isa isa) {
  switch (isa) {
#if SN_X86
    case Isa::Avx512:
      return maskStoreAvx512();
    case Isa::Avx2:
      return maskStoreAvx2();
#endif
#if defined(__aarch64__)
    case Isa::Neon:
      return maskStoreNeon();
#endif
    default:
      return maskStorePortable();
  }
}

/**
 * sn::gemm on `isa` against a double-precision product: every operand layout the kernels pass (A rows or
 * columns contiguous, B rows in place, B rows 2 KiB apart, B columns, a packB callback), shapes that hit the
 * one-block, small-A and row-block paths and partial tiles of the register tiles (6 and 16 rows, 16 columns; on
 * Intel avx2 with B in place and N >= 256, 3 rows, 32 columns: 64 x 300 x 256 and 31 x 282 x 40 end in 1-row tiles
 * and 12 and 26 columns), with the accumulate flag, biases, residual and relu, on each pool. C has 3 columns of
 * padding a row that must stay untouched, and starts NaN where it is overwritten. Prints one line; returns the
 * failures.
 */
/**
 * Runs `product` (sn::gemm, or a KernelSet entry) on g without a pool and on each of `pools`, C starting as random
 * values (NaN where it is overwritten, not accumulated) with 3 padding columns of 12345 a row that must stay, against
 * the double-precision product of a(i, k) and b(k, j) plus g's accumulate flag, biases, residual and relu. Counts the
 * products in `cases`, the largest error in `worst`, prints a line per failure; returns the failures.
 */
template <class AFn, class BFn, class Product>
int checkProduct(const char* name, Gemm g, int layout, const AFn& a, const BFn& b, Rng& rng, const Pools& pools, const Product& product,
                 int& cases, double& worst) {
  const int64_t M = g.M, N = g.N, K = g.K, ldc = g.ldc;
  std::vector<float> start(static_cast<size_t>(M * ldc));
  fill(start.data(), start.size(), rng);
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = N; j < ldc; j++) start[static_cast<size_t>(i * ldc + j)] = 12345.f;
  if (!g.accumulate)
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < N; j++) start[static_cast<size_t>(i * ldc + j)] = std::numeric_limits<float>::quiet_NaN();
  std::vector<double> want(static_cast<size_t>(M * N));
  double scale = 1;
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j = 0; j < N; j++) {
      double acc = g.accumulate ? start[static_cast<size_t>(i * ldc + j)] : 0.0;
      for (int64_t k = 0; k < K; k++) acc += static_cast<double>(a(i, k)) * b(k, j);
      if (g.biasRow) acc += g.biasRow[i];
      if (g.biasCol) acc += g.biasCol[j];
      if (g.residual) acc += g.residual[i * ldc + j];
      if (g.relu && acc < 0) acc = 0;
      want[static_cast<size_t>(i * N + j)] = acc;
      scale = std::max(scale, std::fabs(acc));
    }
  }
  int failures = 0;
  std::vector<ThreadPool*> runners = {nullptr};
  for (const auto& pool : pools) runners.push_back(pool.get());
  for (ThreadPool* p : runners) {
    std::vector<float> C = start;
    g.C = C.data();
    running(std::string(name) + " " + isaName(g.isa) + " " + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K));
    product(g, p);
    double err = 0;
    bool padding = true;
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < ldc; j++) {
        const float got = C[static_cast<size_t>(i * ldc + j)];
        if (j >= N) {
          padding = padding && got == 12345.f;
          continue;
        }
        const double e = std::fabs(got - want[static_cast<size_t>(i * N + j)]) / scale;
        err = std::isfinite(got) ? std::max(err, e) : kInf;
      }
    }
    worst = std::max(worst, err);
    cases++;
    if (err > kTolerance || !padding) {
      failures++;
      std::printf("  FAIL  %s %lldx%lldx%lld layout %d, %d thread(s): error %.1e%s\n", name, static_cast<long long>(M),
                  static_cast<long long>(N), static_cast<long long>(K), layout, p ? p->size() : 1, err, padding ? "" : ", wrote into the padding");
    }
  }
  return failures;
}

int gemmFailures(Isa isa, const Pools& pools) {
  struct Shape {
    int64_t M, N, K;
  };
  const Shape shapes[] = {{1, 17, 5}, {6, 16, 9}, {7, 33, 19}, {16, 16, 64}, {17, 50, 300}, {64, 300, 256},
                          {65, 40, 260}, {200, 70, 33}, {250, 64, 600}, {256, 100, 64}, {31, 282, 40}};
  struct PackCtx {
    const float* B;
    int64_t rsB;
  };
  int failures = 0, cases = 0;
  double worst = 0;
  Rng rng(11);
  for (const Shape& sh : shapes) {
    for (int layout = 0; layout < 5; layout++) {
      // A: 0 and 2 rows, 1, 3 and 4 columns (layouts 2 and 4 differ only there).
      const bool colsA = layout % 2 == 1 || layout == 4;
      const int64_t M = sh.M, N = sh.N, K = sh.K, ldc = N + 3;
      // B: 0 rows (in place), 1 rows 512 floats apart (packed), 2 and 4 columns, 3 a packB callback.
      const int64_t rsB = layout == 1 ? std::max<int64_t>(512, N) : N;
      std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(K * std::max(rsB, N))), bias(static_cast<size_t>(M)),
          biasCol(static_cast<size_t>(N)), res(static_cast<size_t>(M * ldc));
      for (auto* v : {&A, &B, &bias, &biasCol, &res}) fill(v->data(), v->size(), rng);
      const bool accumulate = layout >= 2, epi = layout == 0 || layout == 3;
      Gemm g;
      g.M = M;
      g.N = N;
      g.K = K;
      g.A = A.data();
      g.rsA = colsA ? 1 : K;
      g.csA = colsA ? M : 1;
      g.B = B.data();
      if (layout == 2 || layout == 4) {
        g.rsB = 1;
        g.csB = K;
      } else {
        g.rsB = rsB;
        g.csB = 1;
      }
      const PackCtx ctx{B.data(), rsB};
      if (layout == 3) {
        g.packB = [](const void* c, int64_t k0, int64_t kc, int64_t j0, int64_t nr, float* out) {
          const PackCtx& p = *static_cast<const PackCtx*>(c);
          for (int64_t k = 0; k < kc; k++)
            for (int64_t j = 0; j < kPanelWidth; j++) out[k * kPanelWidth + j] = j < nr ? p.B[(k0 + k) * p.rsB + j0 + j] : 0.f;
        };
        g.packCtx = &ctx;
      }
      g.ldc = ldc;
      g.accumulate = accumulate;
      g.biasRow = epi ? bias.data() : nullptr;
      g.biasCol = layout == 3 ? biasCol.data() : nullptr;
      g.residual = epi ? res.data() : nullptr;
      g.relu = epi;
      g.isa = isa;
      failures += checkProduct(
          "gemm", g, layout, [&](int64_t i, int64_t k) { return A[static_cast<size_t>(colsA ? k * M + i : i * K + k)]; },
          [&](int64_t k, int64_t j) { return B[static_cast<size_t>(g.csB == 1 ? k * rsB + j : j * K + k)]; }, rng, pools,
          [](const Gemm& gm, ThreadPool* p) { gemm(gm, p); }, cases, worst);
    }
  }
  std::printf("%s: gemm, %d products (11 shapes, 5 operand layouts, with and without pools): max error %.1e: %s\n", isaName(isa),
              cases, worst, failures ? "FAIL" : "PASS");
  return failures;
}

/**
 * KernelSet::gemmFewRows (MatMul's dense layers at 1-8 rows) against a double-precision product: A's rows in place or
 * gathered from its columns, B's columns contiguous in k K or K + 3 floats apart (transposeB), tails of the dot
 * tile (4 columns of B, 3 rows of A) and of K (odd lengths below and above a vector), B's rows contiguous along N
 * (N or N + 5 floats apart: the broadcast tile, 2 rows of A, 4 vectors and their masked tails), the accumulate flag, biases,
 * residual and relu, on each pool (the 1000-column shape splits the columns across it); B's columns contiguous in k
 * also as a constant buffer, which from 2^18 multiply-adds takes the outputs-in-lanes route. C has 3 columns of padding
 * a row that must stay untouched, and starts NaN where it is overwritten. Prints one line; returns the failures.
 */
int gemmFewRowsFailures(Isa isa, const Pools& pools) {
  struct Shape {
    int64_t M, N, K;
  };
  const Shape shapes[] = {{1, 17, 5}, {2, 10, 84}, {2, 120, 400}, {3, 33, 19}, {4, 7, 1}, {5, 9, 16},
                          {6, 50, 300}, {7, 21, 37}, {8, 1000, 64}, {1, 1000, 512}, {8, 3, 129},
                          // From 2^18 multiply-adds: a constant B takes the outputs-in-lanes route (kFewRowsLanesMinWork).
                          {2, 300, 450}, {3, 1000, 100}, {5, 131, 403}, {7, 77, 500}};
  int failures = 0, cases = 0;
  double worst = 0;
  Rng rng(12);
  const KernelSet& ks = kernelSet(isa);
  for (const Shape& sh : shapes) {
    for (int layout = 0; layout < 6; layout++) {
      // B's columns contiguous in k (dot products): 0 plain (dense forward), 1 A columns, B 3 floats padded, epilogue,
      // 2 accumulate, biasRow, 3 relu and biasCol only. B's rows contiguous along N (broadcasts): 4 as 3 (the dense
      // input gradient), 5 as 1 with B's rows 5 floats padded and accumulating.
      const bool rowsB = layout >= 4;
      const int64_t M = sh.M, N = sh.N, K = sh.K, ldc = N + 3, ldb = rowsB ? (layout == 5 ? N + 5 : N) : layout == 1 ? K + 3 : K;
      const bool colsA = layout == 1 || layout == 5, accumulate = layout == 2 || layout == 5, epi = layout == 1 || layout == 5;
      std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>((rowsB ? K : N) * ldb)), bias(static_cast<size_t>(M)),
          biasCol(static_cast<size_t>(N)), res(static_cast<size_t>(M * ldc));
      for (auto* v : {&A, &B, &bias, &biasCol, &res}) fill(v->data(), v->size(), rng);
      Gemm g;
      g.M = M;
      g.N = N;
      g.K = K;
      g.A = A.data();
      g.rsA = colsA ? 1 : K;
      g.csA = colsA ? M : 1;
      g.B = B.data();
      g.rsB = rowsB ? ldb : 1;
      g.csB = rowsB ? 1 : ldb;
      g.ldc = ldc;
      g.accumulate = accumulate;
      g.biasRow = epi || layout == 2 ? bias.data() : nullptr;
      g.biasCol = layout != 2 ? biasCol.data() : nullptr;
      g.residual = epi ? res.data() : nullptr;
      g.relu = epi || layout == 3 || layout == 4;
      g.isa = isa;
      // The broadcast form runs any number of rows (MatMul takes it up to kGemmFewRowsPlain).
      if (!rowsB && !gemmFewRowsFits(g)) {
        failures++;
        std::printf("  FAIL  gemmFewRows %lldx%lldx%lld layout %d: gemmFewRowsFits refuses it\n", static_cast<long long>(M),
                    static_cast<long long>(N), static_cast<long long>(K), layout);
        continue;
      }
      // B's columns contiguous in k also as a constant buffer (a dense layer's weights under noGrad: outputs in the
      // lanes against B packed once), its pack cached across the pools' calls.
      FilterCache cache;
      for (int constant = 0; constant < (rowsB ? 1 : 2); constant++) {
        const FilterRef ref{[&] { return static_cast<const float*>(B.data()); }, &cache, 1, 0, 0, true};
        failures += checkProduct(
            constant ? "gemmFewRows constant B" : "gemmFewRows", g, layout,
            [&](int64_t i, int64_t k) { return A[static_cast<size_t>(colsA ? k * M + i : i * K + k)]; },
            [&](int64_t k, int64_t j) { return B[static_cast<size_t>(rowsB ? k * ldb + j : j * ldb + k)]; }, rng, pools,
            [&](const Gemm& gm, ThreadPool* p) { ks.gemmFewRows(gm, constant ? &ref : nullptr, p); }, cases, worst);
      }
    }
  }
  std::printf("%s: gemmFewRows, %d products (15 shapes, 6 operand layouts, B constant or not, with and without pools): max error %.1e: %s\n",
              isaName(isa), cases, worst, failures ? "FAIL" : "PASS");
  return failures;
}

/**
 * Single-thread GFLOP/s of the register-only FMA loop: best of 5 runs of at least 40 ms (about 0.2 s in
 * all), like the kernel timings, since one sample on a shared machine can come out well under the peak.
 */
double fmaPeak(const PeakLoop& p) {
  volatile float sink = 0;
  int64_t iters = 1 << 14;
  while (seconds([&] { sink = p.loop(iters); }) < 0.04) iters *= 2;
  double best = kInf;
  for (int i = 0; i < 5; i++) best = std::min(best, seconds([&] { sink = p.loop(iters); }));
  (void)sink;
  return 2.0 * p.lanes * p.accumulators * static_cast<double>(iters) / best * 1e-9;
}

/**
 * Pass `pass` (0 forward, 1 input gradient, 2 filter gradient) of layer g as the addon runs it: the kernel's
 * prepare step, which takes the direct kernel where it fits and GEMM otherwise (pointwise layers on avx2 and
 * avx512: kernels/conv2d*.cc). The bench times it where the direct kernel does not take the layer.
 */
Body kernelBody(Isa isa, const ConvGeom& g, int pass) {
  static const auto counters = std::make_shared<Counters>();
  Args a;
  a.isa = isa;
  namespace e = encoding::conv2d;
  a.enc.assign(e::length, 0);
  const int64_t plan[] = {g.N, g.C, g.H, g.W, g.O, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PT, g.PB, g.PL, g.PR, g.G};
  for (int i = 0; i < e::length; i++) a.enc[i] = static_cast<int32_t>(plan[i]);
  auto buffer = [](int64_t n) { return std::make_shared<Buffer>(static_cast<size_t>(n), counters); };
  if (pass == 0) {
    a.kernel = "Conv2D";
    a.in = {buffer(g.inSize), buffer(g.filterSize)};
    a.num = {0};
    return prepareConv2D(a).body;
  }
  if (pass == 1) {
    a.kernel = "Conv2DBackpropInput";
    a.in = {buffer(g.outSize), buffer(g.filterSize)};
    return prepareConv2DBackpropInput(a).body;
  }
  a.kernel = "Conv2DBackpropFilter";
  a.in = {buffer(g.inSize), buffer(g.outSize)};
  return prepareConv2DBackpropFilter(a).body;
}

void bench(const std::vector<Isa>& isas, const std::string& only) {
  std::vector<ConvShape> layers = {
      conv("", 16, 96, 32, 32, 96, 3).pad(1),  conv("", 16, 96, 32, 32, 96, 3).pad(1).stride(2),
      conv("", 16, 192, 16, 16, 192, 3).pad(1), conv("", 16, 192, 16, 16, 192, 3).pad(1).stride(2),
      conv("", 16, 192, 8, 8, 192, 3),          conv("", 64, 1, 28, 28, 6, 5).pad(2),
      conv("", 64, 6, 14, 14, 16, 5),           conv("", 8, 64, 56, 56, 64, 3).pad(1),
      // The ops suite's DeepBench layers (small batches: the 2-thread split of the filter gradient).
      conv("", 4, 128, 28, 28, 128, 3).pad(1),  conv("", 2, 256, 14, 14, 256, 3).pad(1),
      // The ops suite's pointwise layer (GEMM on avx2 and avx512: the cells marked g).
      conv("", 8, 64, 56, 56, 256, 1),
      // The strided layers of the ResNets: the ops suite's 3x3 s2, ResNet-18's stem and downsampling
      // convolutions at batch 2, ResNet-20's at batch 64.
      conv("", 8, 64, 56, 56, 128, 3).pad(1).stride(2), conv("", 2, 3, 224, 224, 64, 7).pad(3).stride(2),
      conv("", 2, 128, 28, 28, 256, 3).pad(1).stride(2), conv("", 2, 256, 14, 14, 512, 3).pad(1).stride(2),
      // The stem at GoogLeNet's other batches (1 and 8).
      conv("", 1, 3, 224, 224, 64, 7).pad(3).stride(2), conv("", 8, 3, 224, 224, 64, 7).pad(3).stride(2),
      conv("", 64, 16, 32, 32, 32, 3).pad(1).stride(2), conv("", 64, 32, 16, 16, 64, 3).pad(1).stride(2),
      // ResNet-20's stride-1 layers at the training batch (32).
      conv("", 32, 16, 32, 32, 16, 3).pad(1), conv("", 32, 32, 16, 16, 32, 3).pad(1), conv("", 32, 64, 8, 8, 64, 3).pad(1),
      // A 48-channel layer: one-vector filter-gradient panels on 16 lanes, as ResNet-20's 16-channel ones.
      conv("", 32, 48, 16, 16, 48, 3).pad(1),
      // ResNet-20's 8x8 layer at the inference batch (64) and ResNet-18's 7x7 one at its batch (2).
      conv("", 64, 64, 8, 8, 64, 3).pad(1), conv("", 2, 512, 7, 7, 512, 3).pad(1),
      // The same at batches 1 and 4 (4 and 16 tiles of F(4x4, 3x3): conv/winograd-f4-fused.inl).
      conv("", 1, 512, 7, 7, 512, 3).pad(1), conv("", 4, 512, 7, 7, 512, 3).pad(1),
      conv("", 8, 512, 7, 7, 512, 3).pad(1), conv("", 2, 256, 7, 7, 256, 3).pad(1), conv("", 8, 256, 14, 14, 256, 3).pad(1),
      // ResNet-20's other stride-1 layers and All-CNN-C's at the inference batch (64): the const column's
      // F(4x4, 3x3) (conv/winograd-f4.inl).
      conv("", 64, 16, 32, 32, 16, 3).pad(1), conv("", 64, 32, 16, 16, 32, 3).pad(1), conv("", 64, 96, 32, 32, 96, 3).pad(1),
      conv("", 64, 192, 16, 16, 192, 3).pad(1),
      // ResNet-20's other layers at the slice compiled inference runs on one thread (16 of its 64 images): 16 -> 16, the
      // first layer, the 3x3/2 and 1x1/2 layers (1 MiB activations at 16 channels and 32x32 against 4 MiB at batch 64).
      conv("", 16, 16, 32, 32, 16, 3).pad(1), conv("", 16, 3, 32, 32, 16, 3).pad(1), conv("", 16, 16, 32, 32, 32, 3).pad(1).stride(2),
      conv("", 16, 32, 16, 16, 64, 3).pad(1).stride(2), conv("", 16, 16, 32, 32, 32, 1).stride(2), conv("", 16, 32, 16, 16, 64, 1).stride(2),
      // A 3x3 layer of 13 output columns (AlexNet's conv4 at batch 4): the 8-lane Winograd's, not the 16-lane one's.
      conv("", 4, 384, 13, 13, 384, 3).pad(1),
      // The ops suite's depthwise layer.
      conv("", 8, 64, 56, 56, 64, 3).pad(1).groups(64), conv("", 1, 16, 56, 56, 16, 3).pad(1).groups(16),
      // The other 3x3 layers of 28x28 and up in the zoo models the bench runs: ResNet-20's and All-CNN-C's
      // first layers (3 input channels) and All-CNN-C's 96-channel ones at the training batch (32), and
      // ResNet-18's 56x56 ones at its inference batch (2).
      conv("", 32, 3, 32, 32, 16, 3).pad(1), conv("", 32, 3, 32, 32, 96, 3).pad(1), conv("", 32, 96, 32, 32, 96, 3).pad(1),
      conv("", 32, 96, 32, 32, 96, 3).pad(1).stride(2), conv("", 2, 64, 56, 56, 64, 3).pad(1), conv("", 2, 64, 56, 56, 128, 3).pad(1).stride(2),
      // ResNet-18's 28x28 layers and its 1x1 stride-2 shortcuts at batch 2.
      conv("", 2, 128, 28, 28, 128, 3).pad(1), conv("", 2, 64, 56, 56, 128, 1).stride(2), conv("", 2, 128, 28, 28, 256, 1).stride(2),
      conv("", 2, 256, 14, 14, 512, 1).stride(2),
      // The same shortcuts' kept inputs as pointwise layers (what a 1x1 stride-2 forward computes after gathering them).
      conv("", 2, 64, 28, 28, 128, 1), conv("", 2, 128, 14, 14, 256, 1), conv("", 2, 256, 7, 7, 512, 1),
      // A 3-channel layer whose 28-column rows are not whole 16-lane vectors: the filter gradient by positions keeps
      // its 4 x 3 tiles there (conv/filter-grad-positions.inl), on 8 lanes or 16 (positionsByEightLanes).
      conv("", 32, 3, 28, 28, 16, 3).pad(1),
      // All-CNN-C's other layers at the inference batch (64) and the training batch (32): the stride-2 ones, the
      // 96 -> 192 and 192 -> 192 layers at 16x16, and the valid 8x8 -> 6x6 one.
      conv("", 64, 96, 32, 32, 96, 3).pad(1).stride(2), conv("", 64, 96, 16, 16, 192, 3).pad(1), conv("", 64, 192, 16, 16, 192, 3).pad(1).stride(2),
      conv("", 64, 192, 8, 8, 192, 3), conv("", 32, 96, 16, 16, 192, 3).pad(1), conv("", 32, 192, 16, 16, 192, 3).pad(1),
      conv("", 32, 192, 16, 16, 192, 3).pad(1).stride(2), conv("", 32, 192, 8, 8, 192, 3),
      // ResNet-18 on 32x32 inputs at batch 1 (the bench's smoke suite): its 8x8, 4x4, 2x2 and 1x1 maps, stride 1
      // and the stride-2 ones into them (conv/few-positions.inl from 4x4 down).
      conv("", 1, 64, 8, 8, 64, 3).pad(1), conv("", 1, 64, 8, 8, 128, 3).pad(1).stride(2), conv("", 1, 128, 4, 4, 128, 3).pad(1),
      conv("", 1, 128, 4, 4, 256, 3).pad(1).stride(2), conv("", 1, 256, 2, 2, 256, 3).pad(1),
      conv("", 1, 256, 2, 2, 512, 3).pad(1).stride(2), conv("", 1, 512, 1, 1, 512, 3).pad(1),
      // The same maps at batches 2-16 (few positions, output channels in the lanes for constant filters, 4 positions a
      // pass): 2x2 maps up to 64 positions, 4x4 at 32, 1x1 at 2 and 16.
      conv("", 2, 256, 2, 2, 256, 3).pad(1), conv("", 8, 256, 2, 2, 256, 3).pad(1), conv("", 16, 256, 2, 2, 256, 3).pad(1),
      conv("", 2, 128, 4, 4, 128, 3).pad(1), conv("", 16, 512, 1, 1, 512, 3).pad(1), conv("", 2, 512, 1, 1, 512, 3).pad(1),
      // LeNet-5's convolutions at batch 2 (the smoke suite's LeNet-5 row).
      conv("", 2, 1, 28, 28, 6, 5).pad(2), conv("", 2, 6, 14, 14, 16, 5),
  };
  // --bench-only "A|B": layers whose description contains A or B.
  auto wanted = [&](const std::string& d) {
    for (size_t at = 0;;) {
      const size_t bar = only.find('|', at);
      if (d.find(only.substr(at, bar == std::string::npos ? std::string::npos : bar - at)) != std::string::npos) return true;
      if (bar == std::string::npos) return false;
      at = bar + 1;
    }
  };
  layers.erase(std::remove_if(layers.begin(), layers.end(), [&](const ConvShape& s) { return !wanted(describe(geometry(s))); }), layers.end());
  const int all = std::max(1u, std::thread::hardware_concurrency());
  std::printf("\nSingle-thread FMA peak (register-only loop, 2 flops per lane per multiply-add):\n");
  std::map<Isa, double> peak;
  for (Isa isa : isas) {
    PeakLoop p;
    if (!peakLoop(isa, p)) continue;
    running(std::string(isaName(isa)) + " FMA peak");
    peak[isa] = fmaPeak(p);
    std::printf("  %-9s %7.1f GFLOP/s  (%d lanes, %d accumulators)\n", isaName(isa), peak[isa], p.lanes, p.accumulators);
  }
  if (isaSupported(Isa::Avx512))
    std::printf("  avx512 datapath: %s (cpuAvx512FullWidth; STRIDENET_AVX512_FULL_WIDTH=0/1 overrides)\n",
                cpuAvx512FullWidth() ? "full width, 16-lane choices" : "two 256-bit halves, Zen 4 choices");
  std::printf("\nDirect convolutions, GFLOP/s: 2 x the direct multiply-adds / best of 5 after a warm-up, filter packing included\n"
              "(no filter cache, as in training); in brackets the share of the FMA peak on 1 thread (over 100%% for\n"
              "Winograd layers, which do fewer multiply-adds); g: the kernel's GEMM path (as the addon runs it), where the\n"
              "direct kernel does not take the layer; const: the forward of a constant filter (compiled inference, no-grad\n"
              "calls: inference-only algorithms such as F(4x4, 3x3)), packed once and cached, packing not timed:\n");
  std::printf("  %-9s %-7s %-36s %17s %17s %17s %17s\n", "isa", "threads", "layer", "forward", "const", "input grad", "filter grad");
  for (Isa isa : isas) {
    const KernelSet& ks = kernelSet(isa);
    const std::vector<int> counts = gThreads.empty() ? std::vector<int>{1, all} : gThreads;
    for (size_t ti = 0; ti < counts.size(); ti++) {
      const int threads = counts[ti];
      if (gThreads.empty() && ti > 0 && (all == 1 || gCpuTime)) continue;
      ThreadPool pool(threads);
      for (const ConvShape& s : layers) {
        const ConvGeom g = geometry(s);
        Rng rng(7);
        BlockFloats x(static_cast<size_t>(g.inSize)), w(static_cast<size_t>(g.filterSize)), dy(static_cast<size_t>(g.outSize));
        BlockFloats y(static_cast<size_t>(g.outSize)), dx(static_cast<size_t>(g.inSize)), dw(static_cast<size_t>(g.filterSize));
        BlockFloats bias(static_cast<size_t>(g.O)), res(static_cast<size_t>(gEpilogue ? g.outSize : 1));
        fill(x.data(), x.size(), rng);
        fill(w.data(), w.size(), rng);
        fill(dy.data(), dy.size(), rng);
        fill(bias.data(), bias.size(), rng);
        fill(res.data(), res.size(), rng);
        const float* b = gEpilogue ? bias.data() : nullptr;
        const float* r = gEpilogue ? res.data() : nullptr;
        const std::string name = std::string(isaName(isa)) + " bench " + describe(g);
        int column = 0;  // 1 while the constant-filter forward is timed (pass 0 too)
        auto cell = [&](bool fits, int pass, const float* in0, const float* in1, float* out, const std::function<void()>& fn) {
          char buf[32];
          static const char* const kColumns[] = {"forward", "const", "input", "filter"};
          if ((!fits && !g.pointwise) || !wantColumn(kColumns[pass == 0 && column == 1 ? 1 : pass == 0 ? 0 : pass + 1])) return std::string("-");
          double t;
          if (fits) {
            t = bestOf5(fn);
          } else {
            const Body body = kernelBody(isa, g, pass);
            const std::vector<float*> in = {const_cast<float*>(in0), const_cast<float*>(in1)}, outs = {out};
            t = bestOf5([&] { body(pool, in, outs); });
          }
          const double gflops = 2 * macs(g) / t * 1e-9;
          const char* mark = fits ? "" : " g";
          if (threads == 1 && peak.count(isa)) {
            std::snprintf(buf, sizeof buf, "%7.1f (%3.0f%%)%s", gflops, 100 * gflops / peak[isa], mark);
          } else {
            std::snprintf(buf, sizeof buf, "%7.1f%s", gflops, mark);
          }
          return std::string(buf);
        };
        running(name + " forward");
        const std::string f = cell(ks.forwardFits(g), 0, x.data(), w.data(), y.data(),
                                   [&] { ks.forward(g, x.data(), uncached(w.data()), b, r, gEpilogue, y.data(), pool); });
        running(name + " forward, constant filter");
        column = 1;
        FilterCache cache;
        const FilterRef k = FilterKey{&cache, 2, 1, true}.ref(w.data());
        const std::string fc = cell(ks.forwardFits(g), 0, x.data(), w.data(), y.data(),
                                    [&] { ks.forward(g, x.data(), k, b, r, gEpilogue, y.data(), pool); });
        column = 0;
        running(name + " input gradient");
        const std::string bi = cell(ks.backpropInputFits(g), 1, dy.data(), w.data(), dx.data(),
                                    [&] { ks.backpropInput(g, dy.data(), uncached(w.data()), dx.data(), pool); });
        running(name + " filter gradient");
        const std::string bf = cell(ks.backpropFilterFits(g), 2, x.data(), dy.data(), dw.data(),
                                    [&] { ks.backpropFilter(g, x.data(), dy.data(), dw.data(), pool); });
        std::printf("  %-9s %-7d %-36s %17s %17s %17s %17s\n", isaName(isa), threads, describe(g).c_str(), f.c_str(), fc.c_str(), bi.c_str(),
                    bf.c_str());
        std::fflush(stdout);
      }
    }
  }
  std::printf("\nPooling, ms per call (best of %d after a warm-up): max, average (padding not counted), max gradient, average gradient, max with taps (MaxPool2DArgmax), max gradient from taps (MaxPool2DGradArgmax)\n", gReps);
  for (Isa isa : isas) {
    const std::vector<int> counts = gThreads.empty() ? std::vector<int>{1, all} : gThreads;
    for (size_t ti = 0; ti < counts.size(); ti++) {
      if (gThreads.empty() && ti > 0 && (all == 1 || gCpuTime)) continue;
      ThreadPool pool(counts[ti]);
      benchPool(kernelSet(isa), pool, only, bestOf5);
    }
  }
}

int usage() {
  std::fprintf(stderr, "usage: isa-check [--isa avx512|avx2|neon|portable] [--bench] [--bench-only TEXT] [--reps N] [--cpu-time] [--threads N,M] [--columns forward,const,input,filter] [--epilogue]\n");
  return 2;
}

}  // namespace
}  // namespace check
}  // namespace sn

int main(int argc, char** argv) {
  using namespace sn;
  using namespace sn::check;
  bool doBench = false, checks = true;
  std::string only, layers;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--bench") {
      doBench = true;
    } else if (a == "--bench-only" && i + 1 < argc) {
      doBench = true;
      checks = false;
      layers = argv[++i];
    } else if (a == "--cpu-time") {
      gCpuTime = true;
    } else if (a == "--threads" && i + 1 < argc) {
      for (const char* p = argv[++i]; *p;) {
        char* end = nullptr;
        const long t = std::strtol(p, &end, 10);
        if (end == p || t < 1 || t > 256) return usage();
        gThreads.push_back(static_cast<int>(t));
        p = *end == ',' ? end + 1 : end;
      }
      if (gThreads.empty()) return usage();
    } else if (a == "--epilogue") {
      gEpilogue = true;
    } else if (a == "--columns" && i + 1 < argc) {
      gColumns = argv[++i];
    } else if (a == "--reps" && i + 1 < argc) {
      gReps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--isa" && i + 1 < argc) {
      only = argv[++i];
    } else {
      return usage();
    }
  }
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) std::signal(sig, onFatalSignal);

  std::vector<Isa> isas;
  for (Isa isa : kAllIsas) {
    if (!only.empty() && only != isaName(isa)) continue;
    if (isaSupported(isa)) {
      isas.push_back(isa);
    } else if (!only.empty()) {
      std::fprintf(stderr, "isa-check: %s is not supported here (supported: %s)\n", only.c_str(), supportedIsas().c_str());
      return 2;
    }
  }
  if (isas.empty()) return usage();
  if (!checks) {
    bench(isas, layers);
    return 0;
  }

  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // One and two threads always (the split paths); all of them too where that is more.
  Pools pools;
  for (int t : {1, 2, hw})
    if (pools.empty() || t > pools.back()->size()) pools.push_back(std::make_unique<ThreadPool>(t));
  std::printf("isa-check: %s, %d hardware threads; supported paths: %s; checking:", kArch, hw,
              supportedIsas().c_str());
  for (Isa isa : isas) std::printf(" %s", isaName(isa));
  std::printf(" with");
  for (auto& p : pools) std::printf(" %d", p->size());
  std::printf(" thread(s); tolerance %.0e of max(1, max |reference|)\n", kTolerance);

  running("building the test cases");
  const std::vector<ConvCase> convs = convCases();
  const std::vector<PoolCase> pooling = poolCases();
  std::vector<std::string> failed;
  for (Isa isa : isas) {
    const KernelSet& ks = kernelSet(isa);
    int passed = 0, total = 0;
    auto record = [&](const CaseResult& r, const char* kind) {
      printResult(isaName(isa), r);
      std::fflush(stdout);
      total++;
      if (r.pass()) {
        passed++;
      } else {
        failed.push_back(std::string(isaName(isa)) + " " + kind + " " + r.what);
      }
    };
    // A whole-path check that prints its own line: bad is its count of failures.
    auto tally = [&](int bad, const std::string& what) {
      total++;
      if (bad) {
        failed.push_back(std::string(isaName(isa)) + " " + std::to_string(bad) + " " + what);
      } else {
        passed++;
      }
    };
    const int badMasks = maskStoreFailures(isa);
    PeakLoop vector{};
    const int lanes = peakLoop(isa, vector) ? vector.lanes : 0;
    std::printf("\n%s: masked stores of all %d lane masks: %s\n", isaName(isa), 1 << lanes, badMasks ? "FAIL" : "PASS");
    tally(badMasks, "masked store mask(s) write the wrong lanes");
    tally(gemmFailures(isa, pools), "gemm product(s) wrong");
    tally(gemmFewRowsFailures(isa, pools), "gemmFewRows product(s) wrong");
    std::printf("\n%s: convolutions (max error per kernel; '-': the kernel does not take the geometry)\n", isaName(isa));
    for (const ConvCase& c : convs) record(checkConv(ks, c, pools), "conv");
    std::printf("%s: pooling (':nan/inf': inputs of few levels with NaN, +Inf and many -Inf; ':ties': the same without NaN)\n", isaName(isa));
    for (const PoolCase& c : pooling) record(checkPool(ks, c, pools), "pool");
    std::printf("%s: %d of %d cases pass\n", isaName(isa), passed, total);
  }
  if (failed.empty()) {
    std::printf("\nPASS: every case on");
    for (Isa isa : isas) std::printf(" %s", isaName(isa));
    std::printf("\n");
  } else {
    std::printf("\nFAIL: %zu case(s):\n", failed.size());
    for (const std::string& f : failed) std::printf("  %s\n", f.c_str());
  }
  std::fflush(stdout);
  if (doBench) bench(isas, layers);
  return failed.empty() ? 0 : 1;
}
