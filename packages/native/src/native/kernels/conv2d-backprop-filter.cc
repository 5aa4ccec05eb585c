// Conv2DBackpropFilter: the runtime ISA's direct kernel (conv/filter-grad.inl, conv/depthwise.inl) where it takes the geometry; otherwise dW += dy col^T per image by packed GEMM (col^T panels gathered from the image); images split across threads, partials summed.
#include <algorithm>
#include <cstring>
#include <vector>

#include "../conv-common.h"
#include "../isa.h"
#include "../gemm.h"

namespace sn {

namespace {
void accumulateImage(const ConvGeom& g, const float* x, const float* dy, float* dw, bool accumulate, ThreadPool* pool, Isa isa) {
  for (int64_t grp = 0; grp < g.G; grp++) {
    const ImplicitCol col{&g, x, grp * g.Cg};
    Gemm m;
    m.M = g.Og;
    m.N = g.Kdim;
    m.K = g.P;
    m.A = dy + grp * g.Og * g.P;
    m.rsA = g.P;
    m.csA = 1;
    if (g.pointwise) {
      m.B = x + grp * g.Cg * g.P;
      m.rsB = 1;
      m.csB = g.P;
    } else {
      m.packB = packColTPanel;
      m.packCtx = &col;
    }
    m.C = dw + grp * g.Og * g.Kdim;
    m.ldc = g.Kdim;
    m.accumulate = accumulate;
    m.isa = isa;
    gemm(m, pool);
  }
}
}  // namespace

/** inputs [x, dy]. */
Prepared prepareConv2DBackpropFilter(const Args& a) {
  ConvGeom g = readConvPlan(a);
  a.expectInputs(2);
  a.input(0, "x", g.inSize);
  a.input(1, "dy", g.outSize);
  Prepared p;
  p.outSizes = {g.filterSize};
  const KernelSet* ks = &kernelSet(a.isa);
  const bool direct = ks->backpropFilterFits(g);
  p.body = [g, direct, ks, isa = a.isa](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    if (direct) {
      ks->backpropFilter(g, in[0], in[1], out[0], pool);
      return;
    }
    const int64_t imageIn = g.C * g.H * g.W, imageOut = g.O * g.P;
    const int64_t parts = std::min<int64_t>(pool.size(), g.N);
    if (parts > 1) {
      std::vector<float> partial(static_cast<size_t>((parts - 1) * g.filterSize));
      pool.run(parts, [&](int64_t t) {
        float* dw = t == 0 ? out[0] : partial.data() + (t - 1) * g.filterSize;
        const int64_t b = g.N * t / parts, e = g.N * (t + 1) / parts;
        for (int64_t n = b; n < e; n++) accumulateImage(g, in[0] + n * imageIn, in[1] + n * imageOut, dw, n > b, nullptr, isa);
      });
      for (int64_t t = 1; t < parts; t++) {
        const float* src = partial.data() + (t - 1) * g.filterSize;
        float* dst = out[0];
        for (int64_t i = 0; i < g.filterSize; i++) dst[i] += src[i];
      }
    } else {
      for (int64_t n = 0; n < g.N; n++) accumulateImage(g, in[0] + n * imageIn, in[1] + n * imageOut, out[0], n > 0, &pool, isa);
    }
  };
  return p;
}

}  // namespace sn
