// ISA description for ARM64 Advanced SIMD (NEON): 4 lanes, masks as all-ones lanes, 32 vector registers.
// NEON is part of the ARMv8-A baseline, so no target region is needed.
#pragma once

#include <arm_neon.h>

#include "simd.h"

namespace sn::simd {

struct Neon {
  static constexpr const char* kName = "neon";
  static constexpr int N = 4;
  // 32 registers: 12 rows x 2 vectors = 24 accumulators, 2 loaded vectors, broadcasts.
  static constexpr int kMaxMR = 12;
  static constexpr int kWinoMR = 12;
  static constexpr int kFilterMR = 12;
  using V = float32x4_t;
  using VI = int32x4_t;
  using M = uint32x4_t;

  static SN_INLINE M mask(uint32_t bits) {
    const uint32_t lane[4] = {1, 2, 4, 8};
    return vtstq_u32(vdupq_n_u32(bits), vld1q_u32(lane));
  }
  static SN_INLINE uint32_t bits(M m) {
    const uint32_t lane[4] = {1, 2, 4, 8};
    return vaddvq_u32(vandq_u32(m, vld1q_u32(lane)));
  }
  static SN_INLINE M maskAnd(M a, M b) { return vandq_u32(a, b); }
  static SN_INLINE M maskOr(M a, M b) { return vorrq_u32(a, b); }
  static SN_INLINE M maskAndNot(M a, M b) { return vbicq_u32(a, b); }
  static SN_INLINE M maskNot(M a) { return vmvnq_u32(a); }

  static SN_INLINE V zero() { return vdupq_n_f32(0.f); }
  static SN_INLINE V set1(float v) { return vdupq_n_f32(v); }
  static SN_INLINE V load(const float* p) { return vld1q_f32(p); }
  static SN_INLINE V loadHalves(const float* lo, const float* hi) { return vcombine_f32(vld1_f32(lo), vld1_f32(hi)); }
  static SN_INLINE void store(float* p, V v) { vst1q_f32(p, v); }
  /** No non-temporal store here: stream is a plain store (kStream false). */
  static constexpr bool kStream = false;
  static SN_INLINE void stream(float* p, V v) { store(p, v); }
  static SN_INLINE void streamFence() {}
  // No masked loads in NEON: partial vectors (row edges only) go lane by lane.
  static SN_INLINE V maskLoadOr(V src, M m, const float* p) {
    const uint32_t b = bits(m);
    if (b == 0xfu) return vld1q_f32(p);
    float t[4];
    vst1q_f32(t, src);
    for (int l = 0; l < 4; l++)
      if (b & (1u << l)) t[l] = p[l];
    return vld1q_f32(t);
  }
  static SN_INLINE V maskLoad(M m, const float* p) { return maskLoadOr(zero(), m, p); }
  static SN_INLINE void maskStore(float* p, M m, V v) {
    const uint32_t b = bits(m);
    if (b == 0xfu) {
      vst1q_f32(p, v);
      return;
    }
    float t[4];
    vst1q_f32(t, v);
    for (int l = 0; l < 4; l++)
      if (b & (1u << l)) p[l] = t[l];
  }

  static SN_INLINE V add(V a, V b) { return vaddq_f32(a, b); }
  static SN_INLINE V sub(V a, V b) { return vsubq_f32(a, b); }
  static SN_INLINE V mul(V a, V b) { return vmulq_f32(a, b); }
  static SN_INLINE V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  // x86 semantics (b unless a > b), not FMAX's: max(0, NaN) is NaN either way, but pooling relies on this order.
  static SN_INLINE V max(V a, V b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
  static SN_INLINE float reduceAdd(V a) { return vaddvq_f32(a); }

  static SN_INLINE M isNan(V a) { return vmvnq_u32(vceqq_f32(a, a)); }
  static SN_INLINE M unordered(V a, V b) { return vmvnq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b))); }
  static SN_INLINE M greater(V a, V b) { return vcgtq_f32(a, b); }
  static SN_INLINE M equal(V a, V b) { return vceqq_f32(a, b); }
  static SN_INLINE V select(M m, V a, V b) { return vbslq_f32(m, a, b); }
  static SN_INLINE V keep(M m, V a) { return vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(a))); }

  static SN_INLINE V zipLo(V a, V b) { return vzip1q_f32(a, b); }
  static SN_INLINE V zipHi(V a, V b) { return vzip2q_f32(a, b); }
  static SN_INLINE V zip4Lo(V a, V b) { return vzip1q_f32(a, b); }
  static SN_INLINE V zip4Hi(V a, V b) { return vzip2q_f32(a, b); }
  static SN_INLINE V zipOrder(V a) { return a; }
  static SN_INLINE V joinLo(V a, V b) { return vcombine_f32(vget_low_f32(a), vget_low_f32(b)); }
  static SN_INLINE V joinHi(V a, V b) { return vcombine_f32(vget_high_f32(a), vget_high_f32(b)); }
  static SN_INLINE V evens(V lo, V hi) { return vuzp1q_f32(lo, hi); }
  static SN_INLINE V odds(V lo, V hi) { return vuzp2q_f32(lo, hi); }
  static SN_INLINE V slideIn(V prev, V cur) { return vextq_f32(prev, cur, 3); }
  // Loose order (simd.h): the natural one.
  static SN_INLINE V evensLoose(V lo, V hi) { return evens(lo, hi); }
  static SN_INLINE V oddsLoose(V lo, V hi) { return odds(lo, hi); }
  static SN_INLINE V slideInLoose(V& carry, V odd) {
    const V v = slideIn(carry, odd);
    carry = odd;
    return v;
  }
  static SN_INLINE V fromLoose(V v) { return v; }
  static SN_INLINE V swapPairs(V a) { return vrev64q_f32(a); }
  static SN_INLINE V dupPairs(const float* p) {
    const float32x2_t v = vld1_f32(p);
    return vcombine_f32(vdup_lane_f32(v, 0), vdup_lane_f32(v, 1));
  }
  static SN_INLINE V slideOut(V cur, V next) { return vextq_f32(cur, next, 1); }

  static SN_INLINE VI iota(int32_t step) {
    const int32_t l[4] = {0, 1, 2, 3};
    return vmulq_n_s32(vld1q_s32(l), step);
  }
  static SN_INLINE VI set1i(int32_t v) { return vdupq_n_s32(v); }
  static SN_INLINE VI addi(VI a, VI b) { return vaddq_s32(a, b); }
  static SN_INLINE VI selecti(M m, VI a, VI b) { return vbslq_s32(m, a, b); }
  static SN_INLINE void storei(int32_t* p, VI v) { vst1q_s32(p, v); }

  // Double lanes (see simd.h): 2 doubles.
  static constexpr int ND = 2;
  using D = float64x2_t;
  static SN_INLINE D dzero() { return vdupq_n_f64(0.0); }
  static SN_INLINE D dset1(double v) { return vdupq_n_f64(v); }
  static SN_INLINE D dload(const float* p) { return vcvt_f64_f32(vld1_f32(p)); }
  static SN_INLINE void dstore(float* p, D v) { vst1_f32(p, vcvt_f32_f64(v)); }
  static SN_INLINE D dadd(D a, D b) { return vaddq_f64(a, b); }
  static SN_INLINE D dsub(D a, D b) { return vsubq_f64(a, b); }
  static SN_INLINE D dfma(D a, D b, D c) { return vfmaq_f64(c, a, b); }
  static SN_INLINE D dmax(D a, D b) { return vbslq_f64(vcgtq_f64(a, b), a, b); }
  static SN_INLINE D dfloat(D v) { return vcvt_f64_f32(vcvt_f32_f64(v)); }
  static SN_INLINE D dpos(D y, D v) { return vreinterpretq_f64_u64(vandq_u64(vcgtq_f64(y, vdupq_n_f64(0.0)), vreinterpretq_u64_f64(v))); }
  static SN_INLINE D dloadPos(const float* y, const float* g) { return dpos(dload(y), dload(g)); }
  static SN_INLINE void dstoreAdd(float* p, D v, const float* r, bool relu) {
    const D s = dadd(dfloat(v), dload(r));
    dstore(p, relu ? dmax(dzero(), s) : s);
  }
  static SN_INLINE double dreduceAdd(D a) { return vgetq_lane_f64(a, 0) + vgetq_lane_f64(a, 1); }
};

}  // namespace sn::simd
