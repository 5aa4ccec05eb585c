// Portable ISA description: GCC/clang vector extensions of 4 lanes, compiled for the baseline of any
// target (SSE2 on x86-64, Advanced SIMD on ARM64). The reference path for CPUs with neither AVX2 nor
// NEON, and a second opinion on every kernel in the conformance suite.
#pragma once

#include "simd.h"

#if defined(__clang__)
#define SN_SHUFFLE4(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define SN_SHUFFLE4(a, b, i, j, k, l) __builtin_shuffle(a, b, Portable::VI{i, j, k, l})
#endif

namespace sn::simd {

struct Portable {
  static constexpr const char* kName = "portable";
  static constexpr int N = 4;
  static constexpr int kMaxMR = 6;
  static constexpr int kWinoMR = 6;
  static constexpr int kFilterMR = 6;
  typedef float V __attribute__((vector_size(16)));
  typedef int32_t VI __attribute__((vector_size(16)));
  using M = VI;

  static SN_INLINE M mask(uint32_t bits) {
    const VI lane = {1, 2, 4, 8};
    return ((VI{} + static_cast<int32_t>(bits)) & lane) != 0;
  }
  static SN_INLINE uint32_t bits(M m) { return (m[0] ? 1u : 0u) | (m[1] ? 2u : 0u) | (m[2] ? 4u : 0u) | (m[3] ? 8u : 0u); }
  static SN_INLINE M maskAnd(M a, M b) { return a & b; }
  static SN_INLINE M maskOr(M a, M b) { return a | b; }
  static SN_INLINE M maskAndNot(M a, M b) { return a & ~b; }
  static SN_INLINE M maskNot(M a) { return ~a; }

  static SN_INLINE V zero() { return V{}; }
  static SN_INLINE V set1(float v) { return V{} + v; }
  static SN_INLINE V load(const float* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
  }
  static SN_INLINE void store(float* p, V v) { __builtin_memcpy(p, &v, sizeof v); }
  /** No non-temporal store here: stream is a plain store (kStream false). */
  static constexpr bool kStream = false;
  static SN_INLINE void stream(float* p, V v) { store(p, v); }
  static SN_INLINE void streamFence() {}
  static SN_INLINE V loadHalves(const float* lo, const float* hi) { return V{lo[0], lo[1], hi[0], hi[1]}; }
  static SN_INLINE V maskLoadOr(V src, M m, const float* p) {
    for (int l = 0; l < 4; l++)
      if (m[l]) src[l] = p[l];
    return src;
  }
  static SN_INLINE V maskLoad(M m, const float* p) { return maskLoadOr(zero(), m, p); }
  static SN_INLINE void maskStore(float* p, M m, V v) {
    for (int l = 0; l < 4; l++)
      if (m[l]) p[l] = v[l];
  }

  static SN_INLINE V add(V a, V b) { return a + b; }
  static SN_INLINE V sub(V a, V b) { return a - b; }
  static SN_INLINE V mul(V a, V b) { return a * b; }
  static SN_INLINE V fma(V a, V b, V c) { return a * b + c; }
  static SN_INLINE V max(V a, V b) { return a > b ? a : b; }
  static SN_INLINE float reduceAdd(V a) { return (a[0] + a[1]) + (a[2] + a[3]); }

  static SN_INLINE M isNan(V a) { return a != a; }
  static SN_INLINE M unordered(V a, V b) { return (a != a) | (b != b); }
  static SN_INLINE M greater(V a, V b) { return a > b; }
  static SN_INLINE M equal(V a, V b) { return a == b; }
  static SN_INLINE V select(M m, V a, V b) { return m != 0 ? a : b; }
  static SN_INLINE V keep(M m, V a) { return select(m, a, zero()); }

  static SN_INLINE V zipLo(V a, V b) { return SN_SHUFFLE4(a, b, 0, 4, 1, 5); }
  static SN_INLINE V zipHi(V a, V b) { return SN_SHUFFLE4(a, b, 2, 6, 3, 7); }
  static SN_INLINE V zip4Lo(V a, V b) { return zipLo(a, b); }
  static SN_INLINE V zip4Hi(V a, V b) { return zipHi(a, b); }
  static SN_INLINE V zipOrder(V a) { return a; }
  static SN_INLINE V joinLo(V a, V b) { return SN_SHUFFLE4(a, b, 0, 1, 4, 5); }
  static SN_INLINE V joinHi(V a, V b) { return SN_SHUFFLE4(a, b, 2, 3, 6, 7); }
  static SN_INLINE V evens(V lo, V hi) { return SN_SHUFFLE4(lo, hi, 0, 2, 4, 6); }
  static SN_INLINE V odds(V lo, V hi) { return SN_SHUFFLE4(lo, hi, 1, 3, 5, 7); }
  static SN_INLINE V slideIn(V prev, V cur) { return SN_SHUFFLE4(prev, cur, 3, 4, 5, 6); }
  // Loose order (simd.h): the natural one.
  static SN_INLINE V evensLoose(V lo, V hi) { return evens(lo, hi); }
  static SN_INLINE V oddsLoose(V lo, V hi) { return odds(lo, hi); }
  static SN_INLINE V slideInLoose(V& carry, V odd) {
    const V v = slideIn(carry, odd);
    carry = odd;
    return v;
  }
  static SN_INLINE V fromLoose(V v) { return v; }
  static SN_INLINE V swapPairs(V a) { return SN_SHUFFLE4(a, a, 1, 0, 3, 2); }
  static SN_INLINE V dupPairs(const float* p) { return V{p[0], p[0], p[1], p[1]}; }
  static SN_INLINE V slideOut(V cur, V next) { return SN_SHUFFLE4(cur, next, 1, 2, 3, 4); }

  static SN_INLINE VI iota(int32_t step) { return VI{0, 1, 2, 3} * step; }
  static SN_INLINE VI set1i(int32_t v) { return VI{} + v; }
  static SN_INLINE VI addi(VI a, VI b) { return a + b; }
  static SN_INLINE VI selecti(M m, VI a, VI b) { return m != 0 ? a : b; }
  static SN_INLINE void storei(int32_t* p, VI v) { __builtin_memcpy(p, &v, sizeof v); }

  // Double lanes (see simd.h): 2 doubles.
  static constexpr int ND = 2;
  typedef double D __attribute__((vector_size(16)));
  static SN_INLINE D dzero() { return D{}; }
  static SN_INLINE D dset1(double v) { return D{} + v; }
  static SN_INLINE D dload(const float* p) { return D{p[0], p[1]}; }
  static SN_INLINE void dstore(float* p, D v) {
    p[0] = static_cast<float>(v[0]);
    p[1] = static_cast<float>(v[1]);
  }
  static SN_INLINE D dadd(D a, D b) { return a + b; }
  static SN_INLINE D dsub(D a, D b) { return a - b; }
  static SN_INLINE D dfma(D a, D b, D c) { return a * b + c; }
  static SN_INLINE D dmax(D a, D b) { return a > b ? a : b; }
  static SN_INLINE D dfloat(D v) { return D{static_cast<float>(v[0]), static_cast<float>(v[1])}; }
  static SN_INLINE D dpos(D y, D v) { return y > D{} ? v : D{}; }
  static SN_INLINE D dloadPos(const float* y, const float* g) { return dpos(dload(y), dload(g)); }
  static SN_INLINE void dstoreAdd(float* p, D v, const float* r, bool relu) {
    const D s = dadd(dfloat(v), dload(r));
    dstore(p, relu ? dmax(dzero(), s) : s);
  }
  static SN_INLINE double dreduceAdd(D a) { return a[0] + a[1]; }
};

}  // namespace sn::simd
