// Pool2D geometry read from the core plan encoding (POOL2D_ENCODING), shared by the pooling kernels.
#pragma once

#include <algorithm>

#include "runtime.h"

#if SN_X86
#include <immintrin.h>
#endif

namespace sn {

struct PoolGeom {
  int64_t N, C, H, W, OH, OW, WH, WW, SH, SW, PT, PB, PL, PR;
  bool countIncludePad;
  int64_t planes, inSize, outSize;

  /** Output columns [lo, hi) whose input column ow * SW - PL + kw lies inside the row. */
  void columns(int64_t kw, int64_t& lo, int64_t& hi) const {
    const int64_t off = kw - PL;
    lo = off >= 0 ? 0 : (-off + SW - 1) / SW;
    hi = W - off > 0 ? (W - off + SW - 1) / SW : 0;
    if (hi > OW) hi = OW;
    if (lo > hi) lo = hi;
  }

  /** PyTorch's average divisor for window (oh, ow). */
  float divisor(int64_t oh, int64_t ow) const {
    int64_t hs = oh * SH - PT, ws = ow * SW - PL;
    int64_t he = std::min(hs + WH, H + PB), we = std::min(ws + WW, W + PR);
    if (countIncludePad) return static_cast<float>((he - hs) * (we - ws));
    hs = std::max<int64_t>(hs, 0);
    ws = std::max<int64_t>(ws, 0);
    he = std::min(he, H);
    we = std::min(we, W);
    return static_cast<float>((he - hs) * (we - ws));
  }
};

inline PoolGeom readPoolPlan(const Args& a) {
  a.expectEncoded(16);
  PoolGeom g{};
  g.N = a.atLeast(0, 1, "batch");
  g.C = a.atLeast(1, 1, "channels");
  g.H = a.atLeast(2, 1, "inHeight");
  g.W = a.atLeast(3, 1, "inWidth");
  g.OH = a.atLeast(4, 1, "outHeight");
  g.OW = a.atLeast(5, 1, "outWidth");
  g.WH = a.atLeast(6, 1, "windowHeight");
  g.WW = a.atLeast(7, 1, "windowWidth");
  g.SH = a.atLeast(8, 1, "strideHeight");
  g.SW = a.atLeast(9, 1, "strideWidth");
  g.PT = a.atLeast(10, 0, "padTop");
  g.PB = a.atLeast(11, 0, "padBottom");
  g.PL = a.atLeast(12, 0, "padLeft");
  g.PR = a.atLeast(13, 0, "padRight");
  g.countIncludePad = a.e(14) != 0;
  // Every window must start inside the input or its leading pad, so none is empty.
  if ((g.OH - 1) * g.SH - g.PT >= g.H || (g.OW - 1) * g.SW - g.PL >= g.W) {
    a.fail("plan output " + std::to_string(g.OH) + "x" + std::to_string(g.OW) + " has windows starting past the input " +
           std::to_string(g.H) + "x" + std::to_string(g.W));
  }
  if (g.PT >= g.WH || g.PL >= g.WW || g.PB >= g.WH || g.PR >= g.WW) a.fail("plan padding must be smaller than the window");
  g.planes = checkedProduct(a, {g.N, g.C}, "input planes");
  g.inSize = checkedProduct(a, {g.N, g.C, g.H, g.W}, "input");
  g.outSize = checkedProduct(a, {g.N, g.C, g.OH, g.OW}, "output");
  return g;
}

#if SN_X86
/** Lanes l of a 16-wide run starting at column `start` whose column start + l lies in [0, W). */
inline __mmask16 rowMask(int64_t start, int64_t W) {
  const int64_t lo = start < 0 ? -start : 0;
  const int64_t hi = std::min<int64_t>(16, W - start);
  if (hi <= lo) return 0;
  return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/** Lanes l of 16 outputs whose input column start + l * SW lies in [0, W). */
inline __mmask16 tapMask(int64_t start, int64_t SW, int64_t W) {
  if (SW == 1) return rowMask(start, W);
  const int64_t lo = start < 0 ? (-start + SW - 1) / SW : 0;
  const int64_t hi = std::min<int64_t>(16, W - start > 0 ? (W - start + SW - 1) / SW : 0);
  if (hi <= lo) return 0;
  return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/**
 * Input under window column kw for 16 outputs starting at output column ow0 (stride 1 or 2), with
 * `fill` where the column lies outside the row (padding). Only lanes inside the row are read.
 */
__attribute__((target("avx512f"))) inline __m512 poolTap(const PoolGeom& g, const float* row, int64_t ow0, int64_t kw, __m512 fill) {
  const int64_t start = ow0 * g.SW + kw - g.PL;
  if (g.SW == 1) return _mm512_mask_loadu_ps(fill, rowMask(start, g.W), row + start);
  const __m512 lo = _mm512_mask_loadu_ps(fill, rowMask(start, g.W), row + start);
  const __m512 hi = _mm512_mask_loadu_ps(fill, rowMask(start + 16, g.W), row + start + 16);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(lo, even, hi);
}
#endif

/** The AVX-512 pooling paths take strides 1 and 2 along the row. */
inline bool poolAvx512(const PoolGeom& g, bool allowed) { return allowed && cpuHasAvx512() && (g.SW == 1 || g.SW == 2); }

}  // namespace sn
