#include "conv-common.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <new>
#include <vector>

#include "gemm.h"

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
// A run of consecutive output positions p = oh * OW + ow that stay in one output row.
struct Run {
  int64_t at, len, oh, ow;
};

int splitRuns(const ConvGeom& g, int64_t p0, int64_t count, Run* runs) {
  int n = 0;
  for (int64_t i = 0; i < count;) {
    const int64_t p = p0 + i;
    const int64_t oh = p / g.OW, ow = p % g.OW;
    const int64_t len = std::min(count - i, g.OW - ow);
    runs[n++] = {i, len, oh, ow};
    i += len;
  }
  return n;
}

// Writes col[r][p] for p in one run to dst[0], dst[stride], ...
inline void gatherRun(const ConvGeom& g, const float* plane, int64_t kh, int64_t kw, const Run& run, float* dst, int64_t stride) {
  const int64_t ih = run.oh * g.SH - g.PT + kh * g.DH;
  if (ih < 0 || ih >= g.H) {
    for (int64_t t = 0; t < run.len; t++) dst[t * stride] = 0.f;
    return;
  }
  const float* row = plane + ih * g.W;
  const int64_t iw0 = run.ow * g.SW - g.PL + kw * g.DW;
  // Steps t whose column iw0 + t * SW lies inside the row: [lo, hi).
  int64_t lo = iw0 >= 0 ? 0 : (-iw0 + g.SW - 1) / g.SW;
  int64_t hi = g.W - iw0 > 0 ? (g.W - iw0 + g.SW - 1) / g.SW : 0;
  if (hi > run.len) hi = run.len;
  if (lo > hi) lo = hi;
  for (int64_t t = 0; t < lo; t++) dst[t * stride] = 0.f;
  if (stride == 1 && g.SW == 1) {
    const float* src = row + iw0;
    for (int64_t t = lo; t < hi; t++) dst[t] = src[t];
  } else {
    for (int64_t t = lo; t < hi; t++) dst[t * stride] = row[iw0 + t * g.SW];
  }
  for (int64_t t = hi; t < run.len; t++) dst[t * stride] = 0.f;
}
}  // namespace

void packColPanel(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nr, float* out) {
  const auto& c = *static_cast<const ImplicitCol*>(ctx);
  const ConvGeom& g = *c.g;
  Run runs[kPanelWidth];
  const int n = splitRuns(g, j0, nr, runs);
  const int64_t khw = g.KH * g.KW;
  for (int64_t k = 0; k < kc; k++) {
    const int64_t r = k0 + k;
    const int64_t ch = r / khw, kh = (r % khw) / g.KW, kw = r % g.KW;
    const float* plane = c.image + (c.c0 + ch) * g.H * g.W;
    float* o = out + k * kPanelWidth;
    for (int i = 0; i < n; i++) gatherRun(g, plane, kh, kw, runs[i], o + runs[i].at, 1);
    for (int64_t j = nr; j < kPanelWidth; j++) o[j] = 0.f;
  }
}

void packColTPanel(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nr, float* out) {
  const auto& c = *static_cast<const ImplicitCol*>(ctx);
  const ConvGeom& g = *c.g;
  // Rows k are output positions here; a KC-long stretch crosses at most KC / OW + 2 output rows.
  thread_local std::vector<Run> runs;
  runs.resize(static_cast<size_t>(kc / g.OW + 3));
  const int n = splitRuns(g, k0, kc, runs.data());
  const int64_t khw = g.KH * g.KW;
  for (int64_t jj = 0; jj < kPanelWidth; jj++) {
    if (jj >= nr) {
      for (int64_t k = 0; k < kc; k++) out[k * kPanelWidth + jj] = 0.f;
      continue;
    }
    const int64_t r = j0 + jj;
    const int64_t ch = r / khw, kh = (r % khw) / g.KW, kw = r % g.KW;
    const float* plane = c.image + (c.c0 + ch) * g.H * g.W;
    for (int i = 0; i < n; i++) gatherRun(g, plane, kh, kw, runs[i], out + runs[i].at * kPanelWidth + jj, kPanelWidth);
  }
}

namespace {
struct Scratch {
  float* data[kScratchSlots] = {};
  size_t cap[kScratchSlots] = {};
  ~Scratch() {
    for (float* d : data) std::free(d);
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

FilterCache::Packed FilterRef::packed(uint64_t layout, size_t floats, const std::function<void(const float* w, float* out)>& pack, bool zeroed) const {
  const auto build = [&](float* out) { pack(weights(), out); };
  if (cache) return cache->get(id, version, layoutKey({static_cast<int64_t>(salt), static_cast<int64_t>(layout)}), floats, build, zeroed);
  auto data = std::make_shared<PackedFloats>(floats, zeroed);
  build(data->data());
  return data;
}

FilterRef FilterRef::derived(uint64_t tag, std::function<const float*()> derivedWeights) const {
  FilterRef r = *this;
  r.weights = std::move(derivedWeights);
  r.constant = false;
  r.salt = layoutKey({static_cast<int64_t>(salt), static_cast<int64_t>(tag)});
  return r;
}

uint64_t layoutKey(std::initializer_list<int64_t> values) {
  // FNV-1a over the values' bytes, then a final avalanche (splitmix64).
  uint64_t h = 1469598103934665603ULL;
  for (int64_t v : values) {
    for (int i = 0; i < 8; i++) {
      h ^= static_cast<uint64_t>(v >> (8 * i)) & 0xffu;
      h *= 1099511628211ULL;
    }
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

}  // namespace sn
