// MaxPool2DGrad: (16 windows per vector on AVX-512 CPUs) recomputes each window's first maximum (a NaN, once seen, wins) and routes dy there.
#include <cstring>
#include <limits>

#include "../pool-common.h"

namespace sn {

namespace {
#if SN_X86
// 16 outputs at a time: the first maximum of each window (first NaN wins) found with vector compares in
// the scalar path's tap order, then dy added at those positions one lane at a time (windows overlap).
__attribute__((target("avx512f"))) void gradPlane512(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(g.SW)));
  alignas(64) int32_t idx[16];
  alignas(64) float grad[16];
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
      __m512 best = ninf;
      __m512i at = _mm512_set1_epi32(-1);
      __mmask16 found = 0;
      for (int64_t kh = 0; kh < g.WH; kh++) {
        const int64_t ih = oh * g.SH - g.PT + kh;
        if (ih < 0 || ih >= g.H) continue;
        const float* row = x + ih * g.W;
        for (int64_t kw = 0; kw < g.WW; kw++) {
          const int64_t start = ow0 * g.SW + kw - g.PL;
          const __mmask16 valid = tapMask(start, g.SW, g.W);
          const __m512 v = poolTap(g, row, ow0, kw, ninf);
          const __mmask16 vNan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
          const __mmask16 bestNan = _mm512_cmp_ps_mask(best, best, _CMP_UNORD_Q);
          const __mmask16 take = valid & (static_cast<__mmask16>(~found) | (_mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) & ~bestNan) |
                                          (vNan & ~bestNan));
          best = _mm512_mask_mov_ps(best, take, v);
          at = _mm512_mask_mov_epi32(at, take, _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(ih * g.W + start)), lanes));
          found |= take;
        }
      }
      const int64_t n = std::min<int64_t>(16, g.OW - ow0);
      _mm512_store_si512(idx, at);
      _mm512_store_ps(grad, _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), dy + oh * g.OW + ow0));
      for (int64_t l = 0; l < n; l++)
        if (idx[l] >= 0) dx[idx[l]] += grad[l];
    }
  }
}
#endif
}  // namespace

/** inputs [dy, x]. */
Prepared prepareMaxPool2DGrad(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(2);
  a.input(0, "dy", g.outSize);
  a.input(1, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.inSize};
  const bool wide = poolAvx512(g, a.avx512) && g.H * g.W < (int64_t{1} << 31);
  p.body = [g, wide](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        const float* dy = in[0] + pl * g.OH * g.OW;
        const float* x = in[1] + pl * g.H * g.W;
        float* dx = out[0] + pl * g.H * g.W;
        std::memset(dx, 0, static_cast<size_t>(g.H * g.W) * sizeof(float));
#if SN_X86
        if (wide) {
          gradPlane512(g, dy, x, dx);
          continue;
        }
#endif
        for (int64_t oh = 0; oh < g.OH; oh++) {
          const int64_t h0 = std::max<int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.WH, g.H);
          for (int64_t ow = 0; ow < g.OW; ow++) {
            const int64_t w0 = std::max<int64_t>(ow * g.SW - g.PL, 0), w1 = std::min(ow * g.SW - g.PL + g.WW, g.W);
            int64_t best = -1;
            float bv = 0.f;
            for (int64_t ih = h0; ih < h1 && !(best >= 0 && bv != bv); ih++) {
              for (int64_t iw = w0; iw < w1; iw++) {
                const float v = x[ih * g.W + iw];
                if (best < 0 || v > bv || v != v) {
                  best = ih * g.W + iw;
                  bv = v;
                  if (v != v) break;
                }
              }
            }
            if (best >= 0) dx[best] += dy[oh * g.OW + ow];
          }
        }
      }
    });
  };
  return p;
}

}  // namespace sn
