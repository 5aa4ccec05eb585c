// ISA description for AVX2 + FMA: 8 lanes, masks as all-ones lanes, 16 vector registers.
// Include inside SN_TARGET_BEGIN("avx2,fma") (see simd.h).
#pragma once

#include <immintrin.h>

#include "simd.h"

namespace sn::simd {

struct Avx2 {
  static constexpr const char* kName = "avx2";
  static constexpr int N = 8;
  // 16 registers: 6 rows x 2 vectors = 12 accumulators, 2 loaded vectors, 1 broadcast.
  static constexpr int kMaxMR = 6;
  static constexpr int kWinoMR = 6;
  static constexpr int kFilterMR = 6;
  using V = __m256;
  using VI = __m256i;
  using M = __m256i;

  static SN_INLINE M mask(uint32_t bits) {
    const __m256i lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lane), lane);
  }
  static SN_INLINE uint32_t bits(M m) { return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(m))); }
  static SN_INLINE M maskAnd(M a, M b) { return _mm256_and_si256(a, b); }
  static SN_INLINE M maskOr(M a, M b) { return _mm256_or_si256(a, b); }
  static SN_INLINE M maskAndNot(M a, M b) { return _mm256_andnot_si256(b, a); }
  static SN_INLINE M maskNot(M a) { return _mm256_xor_si256(a, _mm256_set1_epi32(-1)); }

  static SN_INLINE V zero() { return _mm256_setzero_ps(); }
  static SN_INLINE V set1(float v) { return _mm256_set1_ps(v); }
  static SN_INLINE V load(const float* p) { return _mm256_loadu_ps(p); }
  static SN_INLINE void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  /** Non-temporal store of a 32-byte aligned vector (no read for ownership); streamFence orders it before later stores. */
  static constexpr bool kStream = true;
  static SN_INLINE void stream(float* p, V v) { _mm256_stream_ps(p, v); }
  static SN_INLINE void streamFence() { _mm_sfence(); }
  static SN_INLINE V loadHalves(const float* lo, const float* hi) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1);
  }
  // VMASKMOVPS never faults on masked-off lanes.
  static SN_INLINE V maskLoad(M m, const float* p) { return _mm256_maskload_ps(p, m); }
  static SN_INLINE V maskLoadOr(V src, M m, const float* p) { return _mm256_blendv_ps(src, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m)); }
  // VMASKMOVPS stores cost about 20 cycles each on Zen 2 (9 ns at 2.25 GHz against 1.6 ns for a plain
  // store, measured in a store loop), and the row tails of 28- and 10-column outputs (LeNet) take one per
  // row. A mask that is one run of lanes (every tail and side-by-side row piece) is stored as 4-, 2- and
  // 1-lane pieces of the vector shifted down to the run's first lane; other masks keep VMASKMOVPS.
  static SN_INLINE void maskStore(float* p, M m, V v) {
    const uint32_t b = bits(m);
    if (b == 0xffu) {
      _mm256_storeu_ps(p, v);
      return;
    }
    if (b == 0) return;
    const int lo = __builtin_ctz(b);
    const uint32_t run = b >> lo;
    if (run & (run + 1)) {
      _mm256_maskstore_ps(p, m, v);
      return;
    }
    int n = __builtin_popcount(run);
    const V s = lo ? _mm256_permutevar8x32_ps(v, _mm256_add_epi32(_mm256_set1_epi32(lo), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) : v;
    float* q = p + lo;
    __m128 h = _mm256_castps256_ps128(s);
    if (n >= 4) {
      _mm_storeu_ps(q, h);
      q += 4;
      n -= 4;
      h = _mm256_extractf128_ps(s, 1);
    }
    if (n >= 2) {
      _mm_storel_pi(reinterpret_cast<__m64*>(q), h);
      q += 2;
      n -= 2;
      h = _mm_movehl_ps(h, h);
    }
    if (n) _mm_store_ss(q, h);
  }

  static SN_INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
  static SN_INLINE V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static SN_INLINE V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static SN_INLINE V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static SN_INLINE V max(V a, V b) { return _mm256_max_ps(a, b); }
  static SN_INLINE float reduceAdd(V a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  static SN_INLINE M isNan(V a) { return _mm256_castps_si256(_mm256_cmp_ps(a, a, _CMP_UNORD_Q)); }
  static SN_INLINE M unordered(V a, V b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_UNORD_Q)); }
  static SN_INLINE M greater(V a, V b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
  static SN_INLINE M equal(V a, V b) { return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_EQ_OQ)); }
  static SN_INLINE V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(m)); }
  static SN_INLINE V keep(M m, V a) { return _mm256_and_ps(_mm256_castsi256_ps(m), a); }

  // unpacklo/hi interleave within each 128-bit half; the two cross-half permutes put the halves in order.
  static SN_INLINE V zipLo(V a, V b) { return _mm256_permute2f128_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b), 0x20); }
  static SN_INLINE V zipHi(V a, V b) { return _mm256_permute2f128_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b), 0x31); }
  static SN_INLINE V zip4Lo(V a, V b) { return _mm256_unpacklo_ps(a, b); }
  static SN_INLINE V zip4Hi(V a, V b) { return _mm256_unpackhi_ps(a, b); }
  // 64-bit pairs 0, 2, 1, 3: unpacklo/hi then take lanes 0-3 and 4-7 of zipLo/zipHi from each 128-bit half.
  static SN_INLINE V zipOrder(V a) { return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(a), 0xd8)); }
  static SN_INLINE V joinLo(V a, V b) { return _mm256_permute2f128_ps(a, b, 0x20); }
  static SN_INLINE V joinHi(V a, V b) { return _mm256_permute2f128_ps(a, b, 0x31); }
  // shuffle_ps picks lanes 0, 2 (or 1, 3) of each 128-bit half of lo and hi; permute4x64 restores the order.
  static SN_INLINE V evens(V lo, V hi) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xd8));
  }
  static SN_INLINE V odds(V lo, V hi) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xdd)), 0xd8));
  }
  // [prev's high half, cur's low half], then each 128-bit half shifted up a lane with the lane below it.
  static SN_INLINE V slideIn(V prev, V cur) {
    const __m256i t = _mm256_castps_si256(_mm256_permute2f128_ps(prev, cur, 0x21));
    return _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_castps_si256(cur), t, 12));
  }
  // Loose order (simd.h): evens and odds by the in-half shuffle alone, lanes 0 .. 7 holding outputs 0, 1, 4, 5,
  // 2, 3, 6, 7; fromLoose is evens' cross-half permute, once per result instead of once per deinterleave.
  static SN_INLINE V evensLoose(V lo, V hi) { return _mm256_shuffle_ps(lo, hi, 0x88); }
  static SN_INLINE V oddsLoose(V lo, V hi) { return _mm256_shuffle_ps(lo, hi, 0xdd); }
  // Output k takes odd k - 1: lanes 1 .. 7 from this block's odds (one permute), lane 0 the last odd of the
  // block before, which the same permute put in lane 0 of `carry`.
  static SN_INLINE V slideInLoose(V& carry, V odd) {
    const V q = _mm256_permutevar8x32_ps(odd, _mm256_setr_epi32(7, 0, 5, 2, 1, 4, 3, 6));
    const V v = _mm256_blend_ps(q, carry, 1);
    carry = q;
    return v;
  }
  static SN_INLINE V fromLoose(V v) { return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xd8)); }
  static SN_INLINE V swapPairs(V a) { return _mm256_permute_ps(a, 0xb1); }
  // The 4 floats in both 128-bit halves (a load), then spread in each half: no cross-half shuffle.
  static SN_INLINE V dupPairs(const float* p) {
    return _mm256_permutevar_ps(_mm256_broadcast_ps(reinterpret_cast<const __m128*>(p)), _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
  }
  // [cur's high half, next's low half], then each 128-bit half shifted down a lane with the lane above it.
  static SN_INLINE V slideOut(V cur, V next) {
    const __m256i t = _mm256_castps_si256(_mm256_permute2f128_ps(cur, next, 0x21));
    return _mm256_castsi256_ps(_mm256_alignr_epi8(t, _mm256_castps_si256(cur), 4));
  }

  static SN_INLINE VI iota(int32_t step) { return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(step)); }
  static SN_INLINE VI set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static SN_INLINE VI addi(VI a, VI b) { return _mm256_add_epi32(a, b); }
  static SN_INLINE VI selecti(M m, VI a, VI b) { return _mm256_blendv_epi8(b, a, m); }
  static SN_INLINE void storei(int32_t* p, VI v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

  // Double lanes (see simd.h): 4 doubles.
  static constexpr int ND = 4;
  using D = __m256d;
  static SN_INLINE D dzero() { return _mm256_setzero_pd(); }
  static SN_INLINE D dset1(double v) { return _mm256_set1_pd(v); }
  static SN_INLINE D dload(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static SN_INLINE void dstore(float* p, D v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); }
  static SN_INLINE D dadd(D a, D b) { return _mm256_add_pd(a, b); }
  static SN_INLINE D dsub(D a, D b) { return _mm256_sub_pd(a, b); }
  static SN_INLINE D dfma(D a, D b, D c) { return _mm256_fmadd_pd(a, b, c); }
  static SN_INLINE D dmax(D a, D b) { return _mm256_max_pd(a, b); }
  static SN_INLINE D dfloat(D v) { return _mm256_cvtps_pd(_mm256_cvtpd_ps(v)); }
  static SN_INLINE D dpos(D y, D v) { return _mm256_and_pd(_mm256_cmp_pd(y, _mm256_setzero_pd(), _CMP_GT_OQ), v); }
  static SN_INLINE D dloadPos(const float* y, const float* g) {
    return _mm256_cvtps_pd(_mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(y), _mm_setzero_ps()), _mm_loadu_ps(g)));
  }
  static SN_INLINE void dstoreAdd(float* p, D v, const float* r, bool relu) {
    const __m128 s = _mm_add_ps(_mm256_cvtpd_ps(v), _mm_loadu_ps(r));
    _mm_storeu_ps(p, relu ? _mm_max_ps(_mm_setzero_ps(), s) : s);
  }
  static SN_INLINE double dreduceAdd(D a) {
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

}  // namespace sn::simd
