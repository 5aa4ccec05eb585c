// Checks and times the native backend's ISA paths without Node.js, so that a path can be verified on a
// machine that has the CPU but no Node (AVX-512 servers), or under qemu (ARM64 NEON).
//
// Every KernelSet entry of every path this CPU runs is compared with a double-precision reference on
// geometries chosen to reach each algorithm (tiled, Winograd, depthwise, per-phase strided input
// gradient) and each edge (vector and tile remainders, rows packed side by side, padding, NaN and Inf in
// pooling windows), with one and several threads, and through the runtime's packed-filter cache (first
// call, reuse, new filter version). Inputs end at an inaccessible page, so a read past them faults;
// outputs start as NaN between guard zones, so a value never written or one written outside shows up.
//
//   isa-check [--isa NAME] [--bench]
//
// Exit status 1 when any check fails. --bench then times the direct convolutions and measures each
// path's single-thread FMA peak. Built by scripts/build-isa-check.sh.

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "../src/native/conv-common.h"
#include "../src/native/isa.h"
#include "../src/native/pool-common.h"
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

namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopPortable, simd::Portable)
}  // namespace check
}  // namespace sn

#if SN_X86
SN_TARGET_BEGIN("avx2,fma")
#include "../src/native/simd/avx2.h"
namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopAvx2, simd::Avx2)
}  // namespace check
}  // namespace sn
SN_TARGET_END

SN_TARGET_BEGIN("avx512f")
#include "../src/native/simd/avx512.h"
namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopAvx512, simd::Avx512)
}  // namespace check
}  // namespace sn
SN_TARGET_END
#endif

#if defined(__aarch64__)
#include "../src/native/simd/neon.h"
namespace sn {
namespace check {
SN_DEFINE_FMA_LOOP(fmaLoopNeon, simd::Neon)
}  // namespace check
}  // namespace sn
#endif

namespace sn {
namespace check {
namespace {

constexpr double kTolerance = 1e-4;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Isa kAllIsas[] = {Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Portable};
#if SN_X86
constexpr const char* kArch = "x86-64";
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
constexpr const char* kArch = "baseline";
#endif

// ---------------------------------------------------------------------------------------------------
// Crash reports: a kernel that reads past its input or runs an instruction the CPU lacks would otherwise
// end the run with no hint of which call it was.

char gRunning[256] = "startup";

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

void running(const std::string& what) { std::snprintf(gRunning, sizeof gRunning, "%s", what.c_str()); }

// ---------------------------------------------------------------------------------------------------
// Buffers and data.

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {}
  uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  /** Uniform in [-1, 1), 24 random bits (exact in float). */
  float uniform() { return static_cast<float>(next() >> 40) * (2.f / 16777216.f) - 1.f; }
  int below(int n) { return static_cast<int>((next() >> 33) % static_cast<uint64_t>(n)); }

 private:
  uint64_t s_;
};

/** Input floats that end right before an inaccessible page: a read past the end faults at once. */
class EdgeBuffer {
 public:
  explicit EdgeBuffer(size_t n) : n_(n) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = n * sizeof(float);
    mapped_ = (bytes + page - 1) / page * page + page;
    void* base = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<char*>(base);
    if (mprotect(base_ + mapped_ - page, page, PROT_NONE) != 0) throw std::bad_alloc();
    data_ = reinterpret_cast<float*>(base_ + mapped_ - page - bytes);
  }
  ~EdgeBuffer() { munmap(base_, mapped_); }
  EdgeBuffer(const EdgeBuffer&) = delete;
  EdgeBuffer& operator=(const EdgeBuffer&) = delete;

  float* data() const { return data_; }
  size_t size() const { return n_; }

 private:
  size_t n_, mapped_;
  char* base_;
  float* data_;
};

/** Output floats between guard zones, all NaN at first so that a value the kernel never writes fails the comparison. */
class Output {
 public:
  explicit Output(size_t n) : v_(n + 2 * kGuard, sentinel()) {
    std::fill(v_.begin() + kGuard, v_.end() - kGuard, std::numeric_limits<float>::quiet_NaN());
  }
  float* data() { return v_.data() + kGuard; }
  bool guardsIntact() const {
    const float s = sentinel();
    for (size_t i = 0; i < kGuard; i++) {
      if (std::memcmp(&v_[i], &s, sizeof s) != 0 || std::memcmp(&v_[v_.size() - 1 - i], &s, sizeof s) != 0) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kGuard = 64;
  // A NaN payload no arithmetic produces.
  static float sentinel() {
    const uint32_t bits = 0x7fa5a5a5u;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::vector<float> v_;
};

enum class Values {
  Uniform,
  // Few distinct levels (many ties, for the max-pool gradient's first-maximum rule) with NaN, +Inf and a
  // lot of -Inf (windows whose only values are -Inf).
  Special,
};

void fill(float* p, size_t n, Rng& rng, Values kind = Values::Uniform) {
  for (size_t i = 0; i < n; i++) {
    if (kind == Values::Uniform) {
      p[i] = rng.uniform();
      continue;
    }
    const int r = rng.below(100);
    if (r < 5) {
      p[i] = std::numeric_limits<float>::quiet_NaN();
    } else if (r < 10) {
      p[i] = std::numeric_limits<float>::infinity();
    } else if (r < 40) {
      p[i] = -std::numeric_limits<float>::infinity();
    } else {
      p[i] = static_cast<float>(rng.below(5) - 2);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparison.

/** The worst mismatch of one kernel output against its reference. */
struct Mismatch {
  /** max |got - want| / max(1, max |want|) over the finite references; infinite for a NaN or Inf in the wrong place. */
  double error = 0;
  size_t at = 0;
  float got = 0;
  double want = 0;
  /** The kernel wrote into a guard zone. */
  bool outside = false;
  int threads = 0;

  bool pass() const { return !outside && error <= kTolerance; }
  void merge(const Mismatch& m) {
    if (!m.pass() && pass()) {
      *this = m;
    } else if (m.pass() == pass() && m.error > error) {
      *this = m;
    }
  }
};

Mismatch compare(Output& out, const std::vector<double>& want, int threads) {
  Mismatch m;
  m.threads = threads;
  m.outside = !out.guardsIntact();
  const float* got = out.data();
  double scale = 1;
  for (double w : want)
    if (std::isfinite(w)) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < want.size(); i++) {
    const double g = got[i], w = want[i];
    double e;
    if (std::isnan(w) || std::isnan(g)) {
      e = std::isnan(w) && std::isnan(g) ? 0 : kInf;
    } else if (std::isinf(w) || std::isinf(g)) {
      e = g == w ? 0 : kInf;
    } else {
      e = std::fabs(g - w) / scale;
    }
    if (e > m.error) {
      m.error = e;
      m.at = i;
      m.got = got[i];
      m.want = w;
    }
  }
  return m;
}

/** "[i0,i1,i2,i3]" of a flat index into a 4-D array. */
std::string index4(size_t at, const std::array<int64_t, 4>& dims) {
  int64_t idx[4];
  int64_t rest = static_cast<int64_t>(at);
  for (int d = 3; d >= 0; d--) {
    idx[d] = rest % dims[d];
    rest /= dims[d];
  }
  return "[" + std::to_string(idx[0]) + "," + std::to_string(idx[1]) + "," + std::to_string(idx[2]) + "," + std::to_string(idx[3]) + "]";
}

/** One column of a result line: an op's worst mismatch over the thread counts, or not run (the kernel does not take the geometry). */
struct OpResult {
  OpResult(const char* name, const std::array<int64_t, 4>& shape) : op(name), dims(shape) {}
  const char* op;
  /** Of the output, to locate a mismatch. */
  std::array<int64_t, 4> dims;
  bool ran = false;
  Mismatch worst;
};

struct CaseResult {
  std::string what;
  std::vector<OpResult> ops;
  bool pass() const {
    for (const OpResult& r : ops)
      if (r.ran && !r.worst.pass()) return false;
    return true;
  }
};

void printResult(const char* isa, const CaseResult& c) {
  std::string line = std::string("  ") + (c.pass() ? "PASS" : "FAIL");
  for (const OpResult& r : c.ops) {
    char buf[64];
    if (!r.ran) {
      std::snprintf(buf, sizeof buf, "  %s %-7s", r.op, "-");
    } else if (r.worst.outside) {
      std::snprintf(buf, sizeof buf, "  %s %-7s", r.op, "OUTSIDE");
    } else {
      std::snprintf(buf, sizeof buf, "  %s %-7.1e", r.op, r.worst.error);
    }
    line += buf;
  }
  std::printf("%s  %s\n", line.c_str(), c.what.c_str());
  for (const OpResult& r : c.ops) {
    if (!r.ran || r.worst.pass()) continue;
    const Mismatch& m = r.worst;
    std::printf("        %s %s, %d thread%s: ", isa, r.op, m.threads, m.threads == 1 ? "" : "s");
    if (m.outside) std::printf("wrote outside its output; ");
    std::printf("error %.3g at %s: got %.9g, want %.9g\n", m.error, index4(m.at, r.dims).c_str(), static_cast<double>(m.got), m.want);
  }
}

// ---------------------------------------------------------------------------------------------------
// Convolutions.

std::string str(int64_t v) { return std::to_string(v); }

struct ConvShape {
  std::string why;
  int64_t N, C, H, W, O, KH, KW;
  int64_t SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PB = 0, PL = 0, PR = 0, G = 1;

  ConvShape& stride(int64_t h, int64_t w) {
    SH = h;
    SW = w;
    return *this;
  }
  ConvShape& stride(int64_t s) { return stride(s, s); }
  ConvShape& dilation(int64_t d) {
    DH = DW = d;
    return *this;
  }
  ConvShape& pad(int64_t t, int64_t b, int64_t l, int64_t r) {
    PT = t;
    PB = b;
    PL = l;
    PR = r;
    return *this;
  }
  ConvShape& pad(int64_t p) { return pad(p, p, p, p); }
  ConvShape& groups(int64_t g) {
    G = g;
    return *this;
  }
};

ConvShape conv(const std::string& why, int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t K) {
  ConvShape s;
  s.why = why;
  s.N = N;
  s.C = C;
  s.H = H;
  s.W = W;
  s.O = O;
  s.KH = s.KW = K;
  return s;
}

/** The geometry as the addon derives it from a core plan (readConvPlan), output size by the window arithmetic. */
ConvGeom geometry(const ConvShape& s) {
  const int64_t OH = (s.H + s.PT + s.PB - ((s.KH - 1) * s.DH + 1)) / s.SH + 1;
  const int64_t OW = (s.W + s.PL + s.PR - ((s.KW - 1) * s.DW + 1)) / s.SW + 1;
  Args a;
  a.kernel = "isa-check conv";
  for (int64_t v : {s.N, s.C, s.H, s.W, s.O, OH, OW, s.KH, s.KW, s.SH, s.SW, s.DH, s.DW, s.PT, s.PB, s.PL, s.PR, s.G})
    a.enc.push_back(static_cast<int32_t>(v));
  return readConvPlan(a);
}

std::string describe(const ConvGeom& g) {
  std::string d = str(g.N) + "x" + str(g.C) + "x" + str(g.H) + "x" + str(g.W) + " * " + str(g.O) + "x" + str(g.Cg) + "x" + str(g.KH) + "x" +
                  str(g.KW);
  if (g.SH != 1 || g.SW != 1) d += " s" + (g.SH == g.SW ? str(g.SH) : str(g.SH) + "x" + str(g.SW));
  if (g.DH != 1 || g.DW != 1) d += " d" + (g.DH == g.DW ? str(g.DH) : str(g.DH) + "x" + str(g.DW));
  if (g.PT != g.PB || g.PT != g.PL || g.PT != g.PR) {
    d += " p" + str(g.PT) + "," + str(g.PB) + "," + str(g.PL) + "," + str(g.PR);
  } else if (g.PT) {
    d += " p" + str(g.PT);
  }
  if (g.G != 1) d += " g" + str(g.G);
  return d;
}

/** Multiply-adds of one forward pass (the input and filter gradients do as many). */
double macs(const ConvGeom& g) { return static_cast<double>(g.N) * g.O * g.P * g.Cg * g.KH * g.KW; }

struct ConvReference {
  std::vector<double> y, yBiasRelu, dx, dw;
};

/** The three convolutions from their definition, in double: y = x * w, and dy routed back to x and w. */
ConvReference referenceConv(const ConvGeom& g, const float* x, const float* w, const float* bias, const float* dy) {
  ConvReference r;
  r.y.assign(static_cast<size_t>(g.outSize), 0);
  r.yBiasRelu.assign(static_cast<size_t>(g.outSize), 0);
  r.dx.assign(static_cast<size_t>(g.inSize), 0);
  r.dw.assign(static_cast<size_t>(g.filterSize), 0);
  for (int64_t n = 0; n < g.N; n++)
    for (int64_t o = 0; o < g.O; o++) {
      const int64_t grp = o / g.Og;
      for (int64_t oh = 0; oh < g.OH; oh++)
        for (int64_t ow = 0; ow < g.OW; ow++) {
          const size_t yi = static_cast<size_t>(((n * g.O + o) * g.OH + oh) * g.OW + ow);
          const double d = dy[yi];
          double s = 0;
          for (int64_t cg = 0; cg < g.Cg; cg++) {
            const int64_t c = grp * g.Cg + cg;
            for (int64_t kh = 0; kh < g.KH; kh++) {
              const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
              if (ih < 0 || ih >= g.H) continue;
              for (int64_t kw = 0; kw < g.KW; kw++) {
                const int64_t iw = ow * g.SW - g.PL + kw * g.DW;
                if (iw < 0 || iw >= g.W) continue;
                const size_t xi = static_cast<size_t>(((n * g.C + c) * g.H + ih) * g.W + iw);
                const size_t wi = static_cast<size_t>(((o * g.Cg + cg) * g.KH + kh) * g.KW + kw);
                s += static_cast<double>(x[xi]) * w[wi];
                r.dx[xi] += d * w[wi];
                r.dw[wi] += d * x[xi];
              }
            }
          }
          r.y[yi] = s;
          r.yBiasRelu[yi] = std::max(0.0, s + bias[o]);
        }
    }
  return r;
}

struct ConvCase {
  std::string why;
  ConvGeom g;
  /** negW = -w: a second version of the filter whose results are the negated references. */
  std::unique_ptr<EdgeBuffer> x, w, negW, bias, dy;
  ConvReference ref;
};

std::vector<ConvShape> convShapes() {
  std::vector<ConvShape> s = {
      // Winograd: from 16 input channels and 14 columns on 16 lanes, 64 channels and 8 columns on 8 and 4.
      // Output channels in the lanes (conv/forward-channels.inl): rows that fill position vectors badly,
      // channels that fill whole panels (16 on 8 lanes, 32 on 16), filter panels small enough for L1.
      conv("channels in lanes, 32 channels, 12 columns", 2, 8, 12, 14, 32, 3),
      conv("channels in lanes, 16 channels, 10 columns (LeNet C3)", 3, 6, 14, 14, 16, 5),
      conv("channels in lanes, 40 channels (a partial panel), 11 columns, stride 2", 2, 6, 13, 23, 40, 3).stride(2),
      conv("Winograd 32x32", 2, 64, 32, 32, 24, 3).pad(1),
      conv("Winograd 16x16", 2, 64, 16, 16, 48, 3).pad(1),
      conv("32x32, 16 channels (Winograd on 16 lanes only)", 2, 16, 32, 32, 24, 3).pad(1),
      conv("16x16, 48 channels (Winograd on 16 lanes only)", 2, 48, 16, 16, 48, 3).pad(1),
      conv("8x8, 96 channels (Winograd except on 16 lanes)", 2, 96, 8, 8, 96, 3).pad(1),
      conv("batch 1, Winograd input gradient", 1, 64, 16, 16, 64, 3).pad(1),
      conv("20 output channels, batch 3", 3, 64, 16, 16, 20, 3).pad(1),
      conv("stride 2", 2, 16, 32, 32, 32, 3).pad(1).stride(2),
      conv("stride 2x3, dilation 2, asymmetric pads", 2, 8, 17, 23, 12, 3).stride(2, 3).dilation(2).pad(1, 2, 0, 3),
      conv("dilation 2", 2, 16, 16, 16, 16, 3).dilation(2).pad(2),
      conv("groups 2", 2, 16, 16, 16, 24, 3).pad(1).groups(2),
      conv("groups 4, 2 channels each", 2, 8, 12, 12, 8, 3).pad(1).groups(4),
      conv("depthwise 3x3 stride 2", 2, 32, 16, 16, 32, 3).pad(1).stride(2).groups(32),
      conv("depthwise 5x5 stride 2", 3, 24, 15, 15, 24, 5).pad(2).stride(2).groups(24),
      conv("depthwise 3x3", 2, 16, 17, 17, 16, 3).pad(1).groups(16),
      conv("depthwise, 2 outputs per channel", 2, 8, 12, 12, 16, 3).pad(1).groups(8),
      // One-input-channel filter gradients: too few blocks for the pool, so images are split across tasks.
      conv("1 channel in and out", 5, 1, 12, 12, 1, 3).pad(1),
      conv("1 input channel, 3 outputs (block remainders)", 3, 1, 10, 10, 3, 3).pad(1),
      conv("LeNet C1, batch 9", 9, 1, 28, 28, 6, 5).pad(2),
      conv("LeNet C3, batch 9", 9, 6, 14, 14, 16, 5),
  };
  // Narrow outputs: several rows share a vector (forward, Winograd tiles) or most lanes are masked.
  for (int64_t ow : {1, 2, 3, 4, 5, 6}) s.push_back(conv(str(ow) + " output column" + (ow == 1 ? "" : "s"), 2, 8, 6, ow + 2, 12, 3));
  for (int64_t ow : {8, 9}) s.push_back(conv(str(ow) + " output columns", 2, 64, 8, ow, 16, 3).pad(1));
  // Vector edges at 4, 8 and 16 lanes.
  s.push_back(conv("15 columns", 2, 64, 9, 15, 16, 3).pad(1));
  s.push_back(conv("16 columns", 2, 8, 8, 16, 12, 5).pad(2));
  s.push_back(conv("17 columns, 20 output channels", 2, 64, 7, 17, 20, 3).pad(1));
  s.push_back(conv("33 columns", 2, 8, 5, 33, 8, 3).pad(1));
  s.push_back(conv("20 output channels, 5x5", 2, 8, 16, 16, 20, 5).pad(2));
  s.push_back(conv("deep K (260 channels)", 2, 260, 6, 6, 20, 3).pad(1));
  s.push_back(conv("pointwise", 2, 32, 16, 16, 40, 1));
  s.push_back(conv("1x1 stride 2 (input phases no tap reaches)", 2, 16, 15, 16, 32, 1).stride(2));
  s.push_back(conv("1 output channel", 2, 8, 12, 12, 1, 3).pad(1));
  return s;
}

std::vector<ConvCase> convCases() {
  std::vector<ConvCase> cases;
  uint64_t seed = 1;
  for (const ConvShape& s : convShapes()) {
    ConvCase c;
    c.why = s.why;
    c.g = geometry(s);
    const ConvGeom& g = c.g;
    Rng rng(seed++);
    c.x = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.inSize));
    c.w = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.filterSize));
    c.bias = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.O));
    c.dy = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.outSize));
    for (EdgeBuffer* b : {c.x.get(), c.w.get(), c.bias.get(), c.dy.get()}) fill(b->data(), b->size(), rng);
    c.negW = std::make_unique<EdgeBuffer>(static_cast<size_t>(g.filterSize));
    for (size_t i = 0; i < c.w->size(); i++) c.negW->data()[i] = -c.w->data()[i];
    c.ref = referenceConv(g, c.x->data(), c.w->data(), c.bias->data(), c.dy->data());
    cases.push_back(std::move(c));
  }
  return cases;
}

using Pools = std::vector<std::unique_ptr<ThreadPool>>;

/** The filter as the addon passes it without a cache: the kernels pack it on every call. */
FilterRef uncached(const float* w) { return FilterRef{[w] { return w; }}; }

std::vector<double> negated(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (size_t i = 0; i < v.size(); i++) r[i] = -v[i];
  return r;
}

CaseResult checkConv(const KernelSet& ks, const ConvCase& c, Pools& pools) {
  const ConvGeom& g = c.g;
  const std::string name = std::string(isaName(ks.isa)) + " " + describe(g);
  CaseResult res;
  res.what = describe(g) + "  (" + c.why + ")";
  const std::array<int64_t, 4> yDims = {g.N, g.O, g.OH, g.OW}, xDims = {g.N, g.C, g.H, g.W};
  OpResult fwd{"fwd", yDims}, fbr{"fwd+b+relu", yDims}, fwdCached{"fwd:cache", yDims}, dx{"dx", xDims}, dxCached{"dx:cache", xDims},
      dw{"dw", {g.O, g.Cg, g.KH, g.KW}};
  const bool fwdFits = ks.forwardFits(g), dxFits = ks.backpropInputFits(g), dwFits = ks.backpropFilterFits(g);
  const std::vector<double> negY = negated(c.ref.y), negDx = negated(c.ref.dx);
  // A runtime's filter cache: what the kernels pack on the first call of a filter version is reused on the
  // next and rebuilt for a new version (the negated weights), with the forward and input-gradient layouts
  // of one buffer side by side, so a stale entry or two layouts under one key show up as mismatches.
  FilterCache cache;
  uint64_t version = 0;
  for (auto& pool : pools) {
    const int t = pool->size();
    const std::string on = " on " + std::to_string(t) + " thread(s)";
    if (fwdFits) {
      Output y(static_cast<size_t>(g.outSize)), yb(static_cast<size_t>(g.outSize));
      running(name + " forward" + on);
      ks.forward(g, c.x->data(), uncached(c.w->data()), nullptr, false, y.data(), *pool);
      running(name + " forward with bias and relu" + on);
      ks.forward(g, c.x->data(), uncached(c.w->data()), c.bias->data(), true, yb.data(), *pool);
      fwd.ran = fbr.ran = true;
      fwd.worst.merge(compare(y, c.ref.y, t));
      fbr.worst.merge(compare(yb, c.ref.yBiasRelu, t));
    }
    if (dxFits) {
      Output out(static_cast<size_t>(g.inSize));
      running(name + " input gradient" + on);
      ks.backpropInput(g, c.dy->data(), uncached(c.w->data()), out.data(), *pool);
      dx.ran = true;
      dx.worst.merge(compare(out, c.ref.dx, t));
    }
    if (dwFits) {
      Output out(static_cast<size_t>(g.filterSize));
      running(name + " filter gradient" + on);
      ks.backpropFilter(g, c.x->data(), c.dy->data(), out.data(), *pool);
      dw.ran = true;
      dw.worst.merge(compare(out, c.ref.dw, t));
    }
    for (const bool negate : {false, true}) {
      const FilterRef w = FilterKey{&cache, 1, ++version}.ref((negate ? c.negW : c.w)->data());
      for (int call = 0; call < 2; call++) {
        const std::string which = std::string(negate ? " (negated filter, " : " (filter, ") + (call ? "cached)" : "packing)") + on;
        if (fwdFits) {
          Output y(static_cast<size_t>(g.outSize));
          running(name + " forward" + which);
          ks.forward(g, c.x->data(), w, nullptr, false, y.data(), *pool);
          fwdCached.ran = true;
          fwdCached.worst.merge(compare(y, negate ? negY : c.ref.y, t));
        }
        if (dxFits) {
          Output out(static_cast<size_t>(g.inSize));
          running(name + " input gradient" + which);
          ks.backpropInput(g, c.dy->data(), w, out.data(), *pool);
          dxCached.ran = true;
          dxCached.worst.merge(compare(out, negate ? negDx : c.ref.dx, t));
        }
      }
    }
  }
  res.ops = {fwd, fbr, fwdCached, dx, dxCached, dw};
  return res;
}

// ---------------------------------------------------------------------------------------------------
// Pooling.

struct PoolShape {
  int64_t N, C, H, W, WH, WW, SH, SW, PT, PB, PL, PR;
  bool ceil;
};

/** Output length as core plans it (PyTorch's rule: in ceil mode the last window must start inside the input or its leading pad). */
int64_t windowOutput(int64_t in, int64_t before, int64_t after, int64_t window, int64_t stride, bool ceil) {
  const int64_t span = in + before + after - window;
  int64_t out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil && (out - 1) * stride >= in + before) out--;
  return out;
}

PoolGeom geometry(const PoolShape& s, bool countIncludePad) {
  Args a;
  a.kernel = "isa-check pool";
  const int64_t OH = windowOutput(s.H, s.PT, s.PB, s.WH, s.SH, s.ceil), OW = windowOutput(s.W, s.PL, s.PR, s.WW, s.SW, s.ceil);
  for (int64_t v : {s.N, s.C, s.H, s.W, OH, OW, s.WH, s.WW, s.SH, s.SW, s.PT, s.PB, s.PL, s.PR, int64_t{countIncludePad}, int64_t{s.ceil}})
    a.enc.push_back(static_cast<int32_t>(v));
  return readPoolPlan(a);
}

std::string describe(const PoolGeom& g, bool ceil) {
  return str(g.N) + "x" + str(g.C) + "x" + str(g.H) + "x" + str(g.W) + " window " + str(g.WH) + "x" + str(g.WW) + " s" + str(g.SH) + "x" +
         str(g.SW) + " p" + str(g.PT) + "," + str(g.PB) + "," + str(g.PL) + "," + str(g.PR) + " -> " + str(g.OH) + "x" + str(g.OW) +
         (ceil ? " ceil" : "");
}

struct PoolReference {
  std::vector<double> max, avgIncludePad, avgExcludePad, maxGrad;
};

/**
 * Pooling from its definition: a NaN in a window makes its max NaN; the max-pool gradient goes to the
 * last NaN of the window in row-major order, else to its first maximum (PyTorch); average divisors as PyTorch's.
 */
PoolReference referencePool(const PoolGeom& g, const float* x, const float* dy) {
  PoolReference r;
  r.max.assign(static_cast<size_t>(g.outSize), 0);
  r.avgIncludePad.assign(static_cast<size_t>(g.outSize), 0);
  r.avgExcludePad.assign(static_cast<size_t>(g.outSize), 0);
  r.maxGrad.assign(static_cast<size_t>(g.inSize), 0);
  for (int64_t pl = 0; pl < g.planes; pl++) {
    const float* xp = x + pl * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; oh++)
      for (int64_t ow = 0; ow < g.OW; ow++) {
        const int64_t hs = oh * g.SH - g.PT, ws = ow * g.SW - g.PL;
        double sum = 0;
        int64_t count = 0, best = -1;
        float bv = 0;
        for (int64_t ih = hs; ih < hs + g.WH; ih++)
          for (int64_t iw = ws; iw < ws + g.WW; iw++) {
            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
            const float v = xp[ih * g.W + iw];
            sum += v;
            count++;
            const bool bestIsNan = best >= 0 && std::isnan(bv);
            if (best < 0 || std::isnan(v) || (!bestIsNan && v > bv)) {
              best = ih * g.W + iw;
              bv = v;
            }
          }
        const size_t o = static_cast<size_t>((pl * g.OH + oh) * g.OW + ow);
        r.max[o] = bv;
        const int64_t he = std::min(hs + g.WH, g.H + g.PB), we = std::min(ws + g.WW, g.W + g.PR);
        r.avgIncludePad[o] = sum / static_cast<double>((he - hs) * (we - ws));
        r.avgExcludePad[o] = sum / static_cast<double>(count);
        r.maxGrad[static_cast<size_t>(pl * g.H * g.W + best)] += dy[o];
      }
  }
  return r;
}

struct PoolCase {
  std::string what;
  PoolGeom include, exclude;
  std::unique_ptr<EdgeBuffer> x, special, dy;
  PoolReference ref, refSpecial;
};

std::vector<PoolCase> poolCases() {
  struct Window {
    int64_t WH, WW, SH, SW, PT, PB, PL, PR;
    bool ceil;
    std::vector<int64_t> widths;
  };
  const std::vector<int64_t> widths = {7, 16, 17, 33};
  const Window windows[] = {
      {2, 2, 2, 2, 0, 0, 0, 0, false, widths},      // the common 2x2 pool (its own kernel branch)
      {2, 2, 2, 2, 0, 1, 0, 1, false, {7, 17, 33}},  // the same with 'same' padding of an odd input
      {3, 3, 2, 2, 1, 1, 1, 1, false, widths},      // ResNet stem
      {3, 3, 1, 1, 1, 1, 1, 1, false, widths},      // Inception branch
      {3, 3, 2, 2, 0, 0, 0, 0, true, widths},       // ceil mode: the last window runs past the input
      {2, 3, 3, 1, 1, 0, 1, 1, false, widths},      // row stride 3 with unit column stride, uneven pads
      // Windows wider than the kernels' tap slice (16 columns).
      {3, 17, 1, 1, 0, 0, 0, 0, false, {17, 33}},
      {2, 18, 2, 2, 0, 0, 1, 1, false, {33}},
      {5, 33, 1, 1, 2, 2, 16, 16, false, {33}},
  };
  std::vector<PoolCase> cases;
  uint64_t seed = 1000;
  for (const Window& win : windows) {
    for (int64_t W : win.widths) {
      const PoolShape s{2, 3, 11, W, win.WH, win.WW, win.SH, win.SW, win.PT, win.PB, win.PL, win.PR, win.ceil};
      PoolCase c;
      c.include = geometry(s, true);
      c.exclude = geometry(s, false);
      c.what = describe(c.include, s.ceil);
      Rng rng(seed++);
      c.x = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.inSize));
      c.special = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.inSize));
      c.dy = std::make_unique<EdgeBuffer>(static_cast<size_t>(c.include.outSize));
      fill(c.x->data(), c.x->size(), rng);
      fill(c.special->data(), c.special->size(), rng, Values::Special);
      fill(c.dy->data(), c.dy->size(), rng);
      c.ref = referencePool(c.include, c.x->data(), c.dy->data());
      c.refSpecial = referencePool(c.include, c.special->data(), c.dy->data());
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

CaseResult checkPool(const KernelSet& ks, const PoolCase& c, Pools& pools) {
  const PoolGeom& g = c.include;
  const std::string name = std::string(isaName(ks.isa)) + " pool " + c.what;
  CaseResult res;
  res.what = c.what;
  const std::array<int64_t, 4> yDims = {g.N, g.C, g.OH, g.OW}, xDims = {g.N, g.C, g.H, g.W};
  OpResult mx{"max", yDims}, avgIn{"avg+pad", yDims}, avgEx{"avg-pad", yDims}, grad{"max-grad", xDims}, mxSp{"max:nan/inf", yDims},
      gradSp{"max-grad:nan/inf", xDims};
  res.ops = {mx, avgIn, avgEx, grad, mxSp, gradSp};
  // The vector kernels' domain (strides 1 and 2 along the row); the addon runs other strides itself.
  if (!poolVectorFits(g)) return res;
  const size_t inPlane = static_cast<size_t>(g.H * g.W), outPlane = static_cast<size_t>(g.OH * g.OW);
  // Planes split across the pool as the addon does, so that kernels run on several threads at once.
  auto planes = [&](ThreadPool& pool, const std::function<void(int64_t)>& fn) {
    pool.parallelFor(g.planes, 1, [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) fn(pl);
    });
  };
  for (auto& pool : pools) {
    const int t = pool->size();
    const std::string on = " on " + std::to_string(t) + " thread(s)";
    for (int special = 0; special < 2; special++) {
      const float* x = (special ? c.special : c.x)->data();
      const PoolReference& ref = special ? c.refSpecial : c.ref;
      Output y(static_cast<size_t>(g.outSize));
      running(name + " max" + on);
      planes(*pool, [&](int64_t pl) { ks.maxPoolPlane(g, x + pl * inPlane, y.data() + pl * outPlane); });
      (special ? mxSp : mx).ran = true;
      (special ? mxSp : mx).worst.merge(compare(y, ref.max, t));
      Output dx(static_cast<size_t>(g.inSize));
      running(name + " max gradient" + on);
      planes(*pool, [&](int64_t pl) {
        float* d = dx.data() + pl * inPlane;
        std::fill(d, d + inPlane, 0.f);
        ks.maxPoolGradPlane(g, c.dy->data() + pl * outPlane, x + pl * inPlane, d);
      });
      (special ? gradSp : grad).ran = true;
      (special ? gradSp : grad).worst.merge(compare(dx, ref.maxGrad, t));
    }
    for (const PoolGeom* pg : {&c.include, &c.exclude}) {
      // 1 / divisor per output cell, computed as the addon's caller does.
      std::vector<float> inv(outPlane);
      for (int64_t oh = 0; oh < g.OH; oh++)
        for (int64_t ow = 0; ow < g.OW; ow++) inv[static_cast<size_t>(oh * g.OW + ow)] = 1.f / pg->divisor(oh, ow);
      Output y(static_cast<size_t>(g.outSize));
      running(name + (pg->countIncludePad ? " avg counting the pad" : " avg not counting the pad") + on);
      planes(*pool, [&](int64_t pl) { ks.avgPoolPlane(*pg, c.x->data() + pl * inPlane, inv.data(), y.data() + pl * outPlane); });
      OpResult& r = pg->countIncludePad ? avgIn : avgEx;
      r.ran = true;
      r.worst.merge(compare(y, pg->countIncludePad ? c.ref.avgIncludePad : c.ref.avgExcludePad, t));
    }
  }
  res.ops = {mx, avgIn, avgEx, grad, mxSp, gradSp};
  return res;
}

// ---------------------------------------------------------------------------------------------------
// Timing.

double seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/** Best of 5 after a warm-up (which also sizes the scratch buffers). */
double bestOf5(const std::function<void()>& fn) {
  fn();
  double best = kInf;
  for (int i = 0; i < 5; i++) best = std::min(best, seconds(fn));
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

void bench(const std::vector<Isa>& isas) {
  const std::vector<ConvShape> layers = {
      conv("", 16, 96, 32, 32, 96, 3).pad(1),  conv("", 16, 96, 32, 32, 96, 3).pad(1).stride(2),
      conv("", 16, 192, 16, 16, 192, 3).pad(1), conv("", 16, 192, 16, 16, 192, 3).pad(1).stride(2),
      conv("", 16, 192, 8, 8, 192, 3),          conv("", 64, 1, 28, 28, 6, 5).pad(2),
      conv("", 64, 6, 14, 14, 16, 5),           conv("", 8, 64, 56, 56, 64, 3).pad(1),
  };
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
  std::printf("\nDirect convolutions, GFLOP/s: 2 x the direct multiply-adds / best of 5 after a warm-up, filter packing included\n"
              "(no filter cache, as in training); in brackets the share of the FMA peak on 1 thread (over 100%% for\n"
              "Winograd layers, which do fewer multiply-adds):\n");
  std::printf("  %-9s %-7s %-36s %15s %15s %15s\n", "isa", "threads", "layer", "forward", "input grad", "filter grad");
  for (Isa isa : isas) {
    const KernelSet& ks = kernelSet(isa);
    for (int threads : {1, all}) {
      if (threads == all && all == 1) continue;
      ThreadPool pool(threads);
      for (const ConvShape& s : layers) {
        const ConvGeom g = geometry(s);
        Rng rng(7);
        std::vector<float> x(static_cast<size_t>(g.inSize)), w(static_cast<size_t>(g.filterSize)), dy(static_cast<size_t>(g.outSize));
        std::vector<float> y(static_cast<size_t>(g.outSize)), dx(static_cast<size_t>(g.inSize)), dw(static_cast<size_t>(g.filterSize));
        fill(x.data(), x.size(), rng);
        fill(w.data(), w.size(), rng);
        fill(dy.data(), dy.size(), rng);
        const std::string name = std::string(isaName(isa)) + " bench " + describe(g);
        auto cell = [&](bool fits, const std::function<void()>& fn) {
          char buf[32];
          if (!fits) return std::string("-");
          const double gflops = 2 * macs(g) / bestOf5(fn) * 1e-9;
          if (threads == 1 && peak.count(isa)) {
            std::snprintf(buf, sizeof buf, "%7.1f (%3.0f%%)", gflops, 100 * gflops / peak[isa]);
          } else {
            std::snprintf(buf, sizeof buf, "%7.1f", gflops);
          }
          return std::string(buf);
        };
        running(name + " forward");
        const std::string f = cell(ks.forwardFits(g), [&] { ks.forward(g, x.data(), uncached(w.data()), nullptr, false, y.data(), pool); });
        running(name + " input gradient");
        const std::string bi = cell(ks.backpropInputFits(g), [&] { ks.backpropInput(g, dy.data(), uncached(w.data()), dx.data(), pool); });
        running(name + " filter gradient");
        const std::string bf = cell(ks.backpropFilterFits(g), [&] { ks.backpropFilter(g, x.data(), dy.data(), dw.data(), pool); });
        std::printf("  %-9s %-7d %-36s %15s %15s %15s\n", isaName(isa), threads, describe(g).c_str(), f.c_str(), bi.c_str(), bf.c_str());
        std::fflush(stdout);
      }
    }
  }
}

int usage() {
  std::fprintf(stderr, "usage: isa-check [--isa avx512|avx2|neon|portable] [--bench]\n");
  return 2;
}

}  // namespace
}  // namespace check
}  // namespace sn

int main(int argc, char** argv) {
  using namespace sn;
  using namespace sn::check;
  bool doBench = false;
  std::string only;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--bench") {
      doBench = true;
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
    std::printf("\n%s: convolutions (max error per kernel; '-': the kernel does not take the geometry)\n", isaName(isa));
    for (const ConvCase& c : convs) record(checkConv(ks, c, pools), "conv");
    std::printf("%s: pooling (':nan/inf': inputs of few levels with NaN, +Inf and many -Inf)\n", isaName(isa));
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
  if (doBench) bench(isas);
  return failed.empty() ? 0 : 1;
}
