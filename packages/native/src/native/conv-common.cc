#include "conv-common.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace sn {

ConvGeom readConvPlan(const Args& a) {
  a.expectEncoded(18);
  ConvGeom g{};
  g.N = a.atLeast(0, 1, "batch");
  g.C = a.atLeast(1, 1, "inChannels");
  g.H = a.atLeast(2, 1, "inHeight");
  g.W = a.atLeast(3, 1, "inWidth");
  g.O = a.atLeast(4, 1, "outChannels");
  g.OH = a.atLeast(5, 1, "outHeight");
  g.OW = a.atLeast(6, 1, "outWidth");
  g.KH = a.atLeast(7, 1, "kernelHeight");
  g.KW = a.atLeast(8, 1, "kernelWidth");
  g.SH = a.atLeast(9, 1, "strideHeight");
  g.SW = a.atLeast(10, 1, "strideWidth");
  g.DH = a.atLeast(11, 1, "dilationHeight");
  g.DW = a.atLeast(12, 1, "dilationWidth");
  g.PT = a.atLeast(13, 0, "padTop");
  g.PB = a.atLeast(14, 0, "padBottom");
  g.PL = a.atLeast(15, 0, "padLeft");
  g.PR = a.atLeast(16, 0, "padRight");
  g.G = a.atLeast(17, 1, "groups");
  if (g.C % g.G != 0 || g.O % g.G != 0) {
    a.fail("plan groups " + std::to_string(g.G) + " must divide inChannels " + std::to_string(g.C) + " and outChannels " +
           std::to_string(g.O));
  }
  // The output size must be what the window arithmetic gives, or the plan is not one core made.
  const int64_t oh = (g.H + g.PT + g.PB - ((g.KH - 1) * g.DH + 1)) / g.SH + 1;
  const int64_t ow = (g.W + g.PL + g.PR - ((g.KW - 1) * g.DW + 1)) / g.SW + 1;
  if (oh != g.OH || ow != g.OW) {
    a.fail("plan output " + std::to_string(g.OH) + "x" + std::to_string(g.OW) + " does not match the window arithmetic (" +
           std::to_string(oh) + "x" + std::to_string(ow) + ")");
  }
  g.Cg = g.C / g.G;
  g.Og = g.O / g.G;
  g.Kdim = checkedProduct(a, {g.Cg, g.KH, g.KW}, "filter");
  g.P = checkedProduct(a, {g.OH, g.OW}, "output image");
  g.inSize = checkedProduct(a, {g.N, g.C, g.H, g.W}, "input");
  g.filterSize = checkedProduct(a, {g.O, g.Cg, g.KH, g.KW}, "filter");
  g.outSize = checkedProduct(a, {g.N, g.O, g.OH, g.OW}, "output");
  checkedProduct(a, {g.Kdim, g.P}, "im2col buffer");
  g.pointwise = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PT == 0 && g.PB == 0 && g.PL == 0 && g.PR == 0;
  return g;
}

void im2col(const ConvGeom& g, const float* image, int64_t c0, float* col) {
  for (int64_t c = 0; c < g.Cg; c++) {
    const float* plane = image + (c0 + c) * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; kh++) {
      for (int64_t kw = 0; kw < g.KW; kw++) {
        float* row = col + ((c * g.KH + kh) * g.KW + kw) * g.P;
        // Output columns whose input column lands inside the image: [owLo, owHi).
        const int64_t off = kw * g.DW - g.PL;
        int64_t owLo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
        int64_t owHi = g.W - off > 0 ? (g.W - off + g.SW - 1) / g.SW : 0;
        if (owHi > g.OW) owHi = g.OW;
        if (owLo > owHi) owLo = owHi;
        for (int64_t oh = 0; oh < g.OH; oh++) {
          float* dst = row + oh * g.OW;
          const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
          if (ih < 0 || ih >= g.H) {
            std::memset(dst, 0, static_cast<size_t>(g.OW) * sizeof(float));
            continue;
          }
          const float* src = plane + ih * g.W + off;
          for (int64_t ow = 0; ow < owLo; ow++) dst[ow] = 0.f;
          if (g.SW == 1) {
            std::memcpy(dst + owLo, src + owLo, static_cast<size_t>(owHi - owLo) * sizeof(float));
          } else {
            for (int64_t ow = owLo; ow < owHi; ow++) dst[ow] = src[ow * g.SW];
          }
          for (int64_t ow = owHi; ow < g.OW; ow++) dst[ow] = 0.f;
        }
      }
    }
  }
}

void col2im(const ConvGeom& g, const float* col, int64_t c0, float* image) {
  for (int64_t c = 0; c < g.Cg; c++) {
    float* plane = image + (c0 + c) * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; kh++) {
      for (int64_t kw = 0; kw < g.KW; kw++) {
        const float* row = col + ((c * g.KH + kh) * g.KW + kw) * g.P;
        const int64_t off = kw * g.DW - g.PL;
        int64_t owLo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
        int64_t owHi = g.W - off > 0 ? (g.W - off + g.SW - 1) / g.SW : 0;
        if (owHi > g.OW) owHi = g.OW;
        if (owLo > owHi) owLo = owHi;
        for (int64_t oh = 0; oh < g.OH; oh++) {
          const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
          if (ih < 0 || ih >= g.H) continue;
          const float* src = row + oh * g.OW;
          float* dst = plane + ih * g.W + off;
          for (int64_t ow = owLo; ow < owHi; ow++) dst[ow * g.SW] += src[ow];
        }
      }
    }
  }
}

namespace {
struct Scratch {
  float* data[2] = {nullptr, nullptr};
  size_t cap[2] = {0, 0};
  ~Scratch() {
    std::free(data[0]);
    std::free(data[1]);
  }
};
thread_local Scratch tlsScratch;
}  // namespace

float* scratch(size_t floats, int slot) {
  Scratch& s = tlsScratch;
  if (floats > s.cap[slot]) {
    std::free(s.data[slot]);
    s.data[slot] = static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
    if (s.data[slot] == nullptr) {
      s.cap[slot] = 0;
      throw std::bad_alloc();
    }
    s.cap[slot] = floats;
  }
  return s.data[slot];
}

}  // namespace sn
