// MaxPool2D: on AVX-512 CPUs 16 output columns per vector (stride 1 or 2, padding masked); otherwise each output row is built by sweeping window offsets across the whole row, so the inner
// loop runs over contiguous output columns and vectorises.
// GCC 12 flags _mm512_undefined_ps inside its own _mm512_max_ps as maybe-uninitialized (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <limits>

#include "../pool-common.h"

namespace sn {

namespace {
SN_CLONES void maxRow(float* o, const float* src, int64_t lo, int64_t hi, int64_t stride) {
  if (stride == 1) {
    for (int64_t ow = lo; ow < hi; ow++) {
      const float v = src[ow];
      o[ow] = (v > o[ow] || v != v) ? v : o[ow];
    }
  } else {
    for (int64_t ow = lo; ow < hi; ow++) {
      const float v = src[ow * stride];
      o[ow] = (v > o[ow] || v != v) ? v : o[ow];
    }
  }
}

#if SN_X86
// 16 output columns at a time; any NaN in a window makes the output NaN, as in the scalar path.
__attribute__((target("avx512f"))) void maxPlane512(const PoolGeom& g, const float* x, float* y) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512 nan = _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN());
  if (g.SW == 2 && g.WW == 2) {
    // 2-wide windows at stride 2 (the common 2x2 pool): both taps of a row come from one pair of loads.
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
      const int64_t start = 2 * ow0 - g.PL;
      const __mmask16 m0 = rowMask(start, g.W), m1 = rowMask(start + 16, g.W);
      const int64_t n = std::min<int64_t>(16, g.OW - ow0);
      const __mmask16 out = static_cast<__mmask16>((1u << n) - 1u);
      for (int64_t oh = 0; oh < g.OH; oh++) {
        __m512 acc = ninf;
        __mmask16 unordered = 0;
        for (int64_t kh = 0; kh < g.WH; kh++) {
          const int64_t ih = oh * g.SH - g.PT + kh;
          if (ih < 0 || ih >= g.H) continue;
          const float* row = x + ih * g.W + start;
          const __m512 lo = _mm512_mask_loadu_ps(ninf, m0, row), hi = _mm512_mask_loadu_ps(ninf, m1, row + 16);
          const __m512 e = _mm512_permutex2var_ps(lo, even, hi), o = _mm512_permutex2var_ps(lo, odd, hi);
          unordered |= _mm512_cmp_ps_mask(e, o, _CMP_UNORD_Q);
          acc = _mm512_max_ps(acc, _mm512_max_ps(e, o));
        }
        _mm512_mask_storeu_ps(y + oh * g.OW + ow0, out, _mm512_mask_mov_ps(acc, unordered, nan));
      }
    }
    return;
  }
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
      __m512 acc = ninf;
      __mmask16 unordered = 0;
      for (int64_t kh = 0; kh < g.WH; kh++) {
        const int64_t ih = oh * g.SH - g.PT + kh;
        if (ih < 0 || ih >= g.H) continue;
        const float* row = x + ih * g.W;
        for (int64_t kw = 0; kw < g.WW; kw++) {
          const __m512 v = poolTap(g, row, ow0, kw, ninf);
          unordered |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
          acc = _mm512_max_ps(acc, v);
        }
      }
      acc = _mm512_mask_mov_ps(acc, unordered, nan);
      const int64_t n = std::min<int64_t>(16, g.OW - ow0);
      _mm512_mask_storeu_ps(y + oh * g.OW + ow0, static_cast<__mmask16>((1u << n) - 1u), acc);
    }
  }
}
#endif

// A NaN already in o must stay: v > NaN is false and v != v only for a NaN v.
void maxPlane(const PoolGeom& g, const float* x, float* y) {
  for (int64_t oh = 0; oh < g.OH; oh++) {
    float* o = y + oh * g.OW;
    for (int64_t ow = 0; ow < g.OW; ow++) o[ow] = -std::numeric_limits<float>::infinity();
    for (int64_t kh = 0; kh < g.WH; kh++) {
      const int64_t ih = oh * g.SH - g.PT + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (int64_t kw = 0; kw < g.WW; kw++) {
        int64_t lo, hi;
        g.columns(kw, lo, hi);
        maxRow(o, x + ih * g.W + kw - g.PL, lo, hi, g.SW);
      }
    }
  }
}
}  // namespace

/** inputs [x]. */
Prepared prepareMaxPool2D(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.outSize};
  const bool wide = poolAvx512(g, a.avx512);
  p.body = [g, wide](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
#if SN_X86
        if (wide) {
          maxPlane512(g, in[0] + pl * g.H * g.W, out[0] + pl * g.OH * g.OW);
          continue;
        }
#endif
        maxPlane(g, in[0] + pl * g.H * g.W, out[0] + pl * g.OH * g.OW);
      }
    });
  };
  return p;
}

}  // namespace sn
