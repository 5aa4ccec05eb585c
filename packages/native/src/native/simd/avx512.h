// ISA description for AVX-512F: 16 lanes, k-register masks, 32 vector registers.
// Include inside SN_TARGET_BEGIN("avx512f") (see simd.h).
#pragma once

#include <immintrin.h>

#include "simd.h"

namespace sn::simd {

struct Avx512 {
  static constexpr const char* kName = "avx512";
  static constexpr int N = 16;
  // Register tiles (32 registers): forward and Winograd 12 rows x 2 vectors (24 accumulators); filter
  // gradient 12 taps x 2 vectors of output channels.
  static constexpr int kMaxMR = 12;
  static constexpr int kWinoMR = 12;
  static constexpr int kFilterMR = 12;
  using V = __m512;
  using VI = __m512i;
  using M = __mmask16;

  static SN_INLINE M mask(uint32_t bits) { return static_cast<__mmask16>(bits); }
  static SN_INLINE uint32_t bits(M m) { return m; }
  static SN_INLINE M maskAnd(M a, M b) { return a & b; }
  static SN_INLINE M maskOr(M a, M b) { return a | b; }
  static SN_INLINE M maskAndNot(M a, M b) { return a & static_cast<__mmask16>(~b); }
  static SN_INLINE M maskNot(M a) { return static_cast<__mmask16>(~a); }

  static SN_INLINE V zero() { return _mm512_setzero_ps(); }
  static SN_INLINE V set1(float v) { return _mm512_set1_ps(v); }
  static SN_INLINE V load(const float* p) { return _mm512_loadu_ps(p); }
  // insertf64x4 (AVX-512F; insertf32x8 would need DQ) moves the 8 floats of hi as 4 doubles.
  static SN_INLINE V loadHalves(const float* lo, const float* hi) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm256_loadu_ps(lo))), _mm256_castps_pd(_mm256_loadu_ps(hi)), 1));
  }
  static SN_INLINE void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  /** Non-temporal store of a 64-byte aligned vector (no read for ownership); streamFence orders it before later stores. */
  static constexpr bool kStream = true;
  static SN_INLINE void stream(float* p, V v) { _mm512_stream_ps(p, v); }
  static SN_INLINE void streamFence() { _mm_sfence(); }
  static SN_INLINE V maskLoad(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static SN_INLINE V maskLoadOr(V src, M m, const float* p) { return _mm512_mask_loadu_ps(src, m, p); }
  static SN_INLINE void maskStore(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }

  static SN_INLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
  static SN_INLINE V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static SN_INLINE V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static SN_INLINE V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static SN_INLINE V max(V a, V b) { return _mm512_max_ps(a, b); }
  static SN_INLINE float reduceAdd(V a) { return _mm512_reduce_add_ps(a); }

  static SN_INLINE M isNan(V a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static SN_INLINE M unordered(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
  static SN_INLINE M greater(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static SN_INLINE M equal(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  /** m ? a : b, lane by lane. */
  static SN_INLINE V select(M m, V a, V b) { return _mm512_mask_mov_ps(b, m, a); }
  static SN_INLINE V keep(M m, V a) { return _mm512_maskz_mov_ps(m, a); }

  static SN_INLINE V zipLo(V a, V b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), b);
  }
  static SN_INLINE V zipHi(V a, V b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), b);
  }
  static SN_INLINE V zip4Lo(V a, V b) { return _mm512_unpacklo_ps(a, b); }
  static SN_INLINE V zip4Hi(V a, V b) { return _mm512_unpackhi_ps(a, b); }
  // 64-bit pairs 0, 4, 1, 5, 2, 6, 3, 7: each 128-bit block j then holds pairs j and j + 4.
  static SN_INLINE V zipOrder(V a) { return _mm512_castpd_ps(_mm512_permutexvar_pd(_mm512_setr_epi64(0, 4, 1, 5, 2, 6, 3, 7), _mm512_castps_pd(a))); }
  static SN_INLINE V joinLo(V a, V b) { return _mm512_shuffle_f32x4(a, b, 0x44); }
  static SN_INLINE V joinHi(V a, V b) { return _mm512_shuffle_f32x4(a, b, 0xee); }
  static SN_INLINE V evens(V lo, V hi) {
    return _mm512_permutex2var_ps(lo, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), hi);
  }
  static SN_INLINE V odds(V lo, V hi) {
    return _mm512_permutex2var_ps(lo, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), hi);
  }
  static SN_INLINE V slideIn(V prev, V cur) { return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(cur), _mm512_castps_si512(prev), 15)); }
  // Loose order (simd.h): the natural one.
  static SN_INLINE V evensLoose(V lo, V hi) { return evens(lo, hi); }
  static SN_INLINE V oddsLoose(V lo, V hi) { return odds(lo, hi); }
  static SN_INLINE V slideInLoose(V& carry, V odd) {
    const V v = slideIn(carry, odd);
    carry = odd;
    return v;
  }
  static SN_INLINE V fromLoose(V v) { return v; }
  static SN_INLINE V swapPairs(V a) { return _mm512_permute_ps(a, 0xb1); }
  static SN_INLINE V dupPairs(const float* p) {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), _mm512_castps256_ps512(_mm256_loadu_ps(p)));
  }
  static SN_INLINE V slideOut(V cur, V next) { return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(cur), 1)); }

  static SN_INLINE VI iota(int32_t step) {
    return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(step));
  }
  static SN_INLINE VI set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static SN_INLINE VI addi(VI a, VI b) { return _mm512_add_epi32(a, b); }
  static SN_INLINE VI selecti(M m, VI a, VI b) { return _mm512_mask_mov_epi32(b, m, a); }
  static SN_INLINE void storei(int32_t* p, VI v) { _mm512_storeu_si512(p, v); }

  // Double lanes (see simd.h): 8 doubles.
  static constexpr int ND = 8;
  using D = __m512d;
  static SN_INLINE D dzero() { return _mm512_setzero_pd(); }
  static SN_INLINE D dset1(double v) { return _mm512_set1_pd(v); }
  static SN_INLINE D dload(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  static SN_INLINE void dstore(float* p, D v) { _mm256_storeu_ps(p, _mm512_cvtpd_ps(v)); }
  static SN_INLINE D dadd(D a, D b) { return _mm512_add_pd(a, b); }
  static SN_INLINE D dsub(D a, D b) { return _mm512_sub_pd(a, b); }
  static SN_INLINE D dfma(D a, D b, D c) { return _mm512_fmadd_pd(a, b, c); }
  static SN_INLINE D dmax(D a, D b) { return _mm512_max_pd(a, b); }
  static SN_INLINE D dfloat(D v) { return _mm512_cvtps_pd(_mm512_cvtpd_ps(v)); }
  static SN_INLINE D dpos(D y, D v) { return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(y, _mm512_setzero_pd(), _CMP_GT_OQ), v); }
  static SN_INLINE D dloadPos(const float* y, const float* g) {
    return _mm512_cvtps_pd(_mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(y), _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_loadu_ps(g)));
  }
  static SN_INLINE void dstoreAdd(float* p, D v, const float* r, bool relu) {
    const __m256 s = _mm256_add_ps(_mm512_cvtpd_ps(v), _mm256_loadu_ps(r));
    _mm256_storeu_ps(p, relu ? _mm256_max_ps(_mm256_setzero_ps(), s) : s);
  }
  static SN_INLINE double dreduceAdd(D a) { return _mm512_reduce_add_pd(a); }
};

}  // namespace sn::simd
