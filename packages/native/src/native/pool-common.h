// Pool2D geometry read from the core plan encoding (POOL2D_ENCODING), shared by the pooling kernels.
#pragma once

#include <algorithm>
#include <vector>

#include "runtime.h"


namespace sn {

struct PoolGeom {
  int64_t N, C, H, W, OH, OW, WH, WW, SH, SW, PT, PB, PL, PR;
  bool countIncludePad;
  int64_t planes, inSize, outSize;

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

/**
 * 1 / divisor of every output cell, row by row (the average kernels' `inv`). Where every window lies inside the
 * input (no padding, none past the last row or column) each divisor is WH WW: one fill instead of OH OW
 * divisions, which the 2x2 pool of 8x64x56x56 ran in about 0.9 us of its 245 per call.
 */
inline std::vector<float> poolInverseDivisors(const PoolGeom& g) {
  const size_t n = static_cast<size_t>(g.OH * g.OW);
  const bool inside = g.PT == 0 && g.PB == 0 && g.PL == 0 && g.PR == 0 && (g.OH - 1) * g.SH + g.WH <= g.H && (g.OW - 1) * g.SW + g.WW <= g.W;
  if (inside) return std::vector<float>(n, 1.f / static_cast<float>(g.WH * g.WW));
  std::vector<float> inv(n);
  for (int64_t oh = 0; oh < g.OH; oh++)
    for (int64_t ow = 0; ow < g.OW; ow++) inv[oh * g.OW + ow] = 1.f / g.divisor(oh, ow);
  return inv;
}

/** Prepared::work of a pooling kernel or its gradient: about one operation per float read or written. */
inline int64_t poolWork(const PoolGeom& g) { return g.inSize + g.outSize; }

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


}  // namespace sn
