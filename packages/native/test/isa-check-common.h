// Shared by the isa-check units (isa-check.cc, isa-check-conv.cc, isa-check-pool.cc): tolerances, the
// crash-report label, test buffers and data, the comparison with a reference and the result lines.

#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <ctime>
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

namespace sn {
namespace check {

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

/** What is running, for the crash report of isa-check.cc. */
inline char gRunning[256] = "startup";

inline void running(const std::string& what) { std::snprintf(gRunning, sizeof gRunning, "%s", what.c_str()); }

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

/**
 * Bench buffers placed as the backend places tensors (a BlockCache block: 64-byte aligned, large ones from
 * their own pages), not where std::vector puts them (16 bytes past a page for large ones). The alignment
 * changes some kernels' speed: the stem's column-polyphase Winograd forward (2x3x224x224 -> 64 7x7/2) ran
 * 113-121 GFLOP/s into an output 4, 16, 48 or 80 bytes past a page but 88-104 into one 32 or 64 bytes past
 * it (avx2 and avx512 paths, Zen 4, 1 thread, CPU-time medians of 15), so the vector figures overstated
 * what the backend delivers by about 15%. (Since it fetches its output lines ahead, 110-113 at any offset.)
 */
class BlockFloats {
 public:
  explicit BlockFloats(size_t n) : n_(n) { data_ = static_cast<float*>(cache_.take((n == 0 ? 1 : n) * sizeof(float), &capacity_)); }
  ~BlockFloats() { cache_.give(data_, capacity_); }
  BlockFloats(const BlockFloats&) = delete;
  BlockFloats& operator=(const BlockFloats&) = delete;

  float* data() const { return data_; }
  size_t size() const { return n_; }

 private:
  sn::BlockCache cache_;
  size_t n_, capacity_ = 0;
  float* data_;
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
  // The same levels, +Inf and -Inf without NaN (the NaN-free passes' tie rules on every window); zeros at odd
  // indices are -0, which ties with +0 (no tap may win by the sign).
  Ties,
};

inline void fill(float* p, size_t n, Rng& rng, Values kind = Values::Uniform) {
  for (size_t i = 0; i < n; i++) {
    if (kind == Values::Uniform) {
      p[i] = rng.uniform();
      continue;
    }
    const int r = rng.below(100);
    if (r < 5 && kind == Values::Special) {
      p[i] = std::numeric_limits<float>::quiet_NaN();
    } else if (r < 5) {
      p[i] = static_cast<float>(rng.below(5) - 2);
    } else if (r < 10) {
      p[i] = std::numeric_limits<float>::infinity();
    } else if (r < 40) {
      p[i] = -std::numeric_limits<float>::infinity();
    } else {
      p[i] = static_cast<float>(rng.below(5) - 2);
    }
    if (kind == Values::Ties && p[i] == 0.f && (i & 1)) p[i] = -0.f;
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

inline Mismatch compare(Output& out, const std::vector<double>& want, int threads) {
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
inline std::string index4(size_t at, const std::array<int64_t, 4>& dims) {
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

inline void printResult(const char* isa, const CaseResult& c) {
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

inline std::string str(int64_t v) { return std::to_string(v); }

using Pools = std::vector<std::unique_ptr<ThreadPool>>;

}  // namespace check
}  // namespace sn
