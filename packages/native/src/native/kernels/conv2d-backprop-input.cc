// Conv2DBackpropInput: the runtime ISA's direct kernels (the forward kernel on the flipped filter, per stride phase when strided, conv/backprop-input.inl) where they take the geometry; otherwise dcol = W^T dy by packed GEMM, then col2im (pointwise convs write dx directly).
#include <cstring>

#include "../conv-common.h"
#include "../isa.h"
#include "../gemm.h"

namespace sn {

namespace {
void backpropImage(const ConvGeom& g, const float* dy, const float* w, float* dx, ThreadPool* pool, Isa isa) {
  if (!g.pointwise) std::memset(dx, 0, static_cast<size_t>(g.C * g.H * g.W) * sizeof(float));
  for (int64_t grp = 0; grp < g.G; grp++) {
    float* dcol = g.pointwise ? dx + grp * g.Cg * g.P : scratch(static_cast<size_t>(g.Kdim * g.P), 0);
    Gemm m;
    m.M = g.Kdim;
    m.N = g.P;
    m.K = g.Og;
    m.A = w + grp * g.Og * g.Kdim;
    m.rsA = 1;
    m.csA = g.Kdim;
    m.B = dy + grp * g.Og * g.P;
    m.rsB = g.P;
    m.csB = 1;
    m.C = dcol;
    m.ldc = g.P;
    m.isa = isa;
    gemm(m, pool);
    if (!g.pointwise) col2im(g, dcol, grp * g.Cg, dx);
  }
}
}  // namespace

/** inputs [dy, filter]. */
Prepared prepareConv2DBackpropInput(const Args& a) {
  ConvGeom g = readConvPlan(a);
  a.expectInputs(2);
  a.input(0, "dy", g.outSize);
  a.input(1, "filter", g.filterSize);
  Prepared p;
  p.outSizes = {g.inSize};
  const KernelSet* ks = &kernelSet(a.isa);
  const bool direct = ks->backpropInputFits(g);
  const FilterKey key = filterKey(a, 1);
  p.body = [g, direct, ks, key, isa = a.isa](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    if (direct) {
      ks->backpropInput(g, in[0], key.ref(in[1]), out[0], pool);
      return;
    }
    const int64_t imageIn = g.C * g.H * g.W, imageOut = g.O * g.P;
    if (g.N >= pool.size() && pool.size() > 1) {
      pool.run(g.N, [&](int64_t n) { backpropImage(g, in[0] + n * imageOut, in[1], out[0] + n * imageIn, nullptr, isa); });
    } else {
      for (int64_t n = 0; n < g.N; n++) backpropImage(g, in[0] + n * imageOut, in[1], out[0] + n * imageIn, &pool, isa);
    }
  };
  return p;
}

}  // namespace sn
