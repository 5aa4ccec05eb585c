// AvgPool2D: on AVX-512 CPUs 16 output columns per vector (stride 1 or 2, padding masked); otherwise window sums swept across whole output rows (vectorised), then PyTorch's divisor per cell.
#include "../pool-common.h"

namespace sn {

namespace {
SN_CLONES void addRow(float* o, const float* src, int64_t lo, int64_t hi, int64_t stride) {
  if (stride == 1) {
    for (int64_t ow = lo; ow < hi; ow++) o[ow] += src[ow];
  } else {
    for (int64_t ow = lo; ow < hi; ow++) o[ow] += src[ow * stride];
  }
}
#if SN_X86
__attribute__((target("avx512f"))) void avgPlane512(const PoolGeom& g, const float* x, const float* inv, float* y) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
      __m512 acc = zero;
      for (int64_t kh = 0; kh < g.WH; kh++) {
        const int64_t ih = oh * g.SH - g.PT + kh;
        if (ih < 0 || ih >= g.H) continue;
        const float* row = x + ih * g.W;
        for (int64_t kw = 0; kw < g.WW; kw++) acc = _mm512_add_ps(acc, poolTap(g, row, ow0, kw, zero));
      }
      const int64_t n = std::min<int64_t>(16, g.OW - ow0);
      const __mmask16 m = static_cast<__mmask16>((1u << n) - 1u);
      acc = _mm512_mul_ps(acc, _mm512_maskz_loadu_ps(m, inv + oh * g.OW + ow0));
      _mm512_mask_storeu_ps(y + oh * g.OW + ow0, m, acc);
    }
  }
}
#endif
}  // namespace

/** inputs [x]. */
Prepared prepareAvgPool2D(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.outSize};
  const bool wide = poolAvx512(g, a.avx512);
  p.body = [g, wide](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    std::vector<float> inv(static_cast<size_t>(g.OH * g.OW));
    for (int64_t oh = 0; oh < g.OH; oh++)
      for (int64_t ow = 0; ow < g.OW; ow++) inv[oh * g.OW + ow] = 1.f / g.divisor(oh, ow);
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        const float* x = in[0] + pl * g.H * g.W;
        float* y = out[0] + pl * g.OH * g.OW;
#if SN_X86
        if (wide) {
          avgPlane512(g, x, inv.data(), y);
          continue;
        }
#endif
        for (int64_t oh = 0; oh < g.OH; oh++) {
          float* o = y + oh * g.OW;
          for (int64_t ow = 0; ow < g.OW; ow++) o[ow] = 0.f;
          for (int64_t kh = 0; kh < g.WH; kh++) {
            const int64_t ih = oh * g.SH - g.PT + kh;
            if (ih < 0 || ih >= g.H) continue;
            for (int64_t kw = 0; kw < g.WW; kw++) {
              int64_t lo, hi;
              g.columns(kw, lo, hi);
              addRow(o, x + ih * g.W + kw - g.PL, lo, hi, g.SW);
            }
          }
          const float* iv = inv.data() + oh * g.OW;
          for (int64_t ow = 0; ow < g.OW; ow++) o[ow] *= iv[ow];
        }
      }
    });
  };
  return p;
}

}  // namespace sn
