// Conv2D: the runtime ISA's direct kernels (conv/*.inl: tiled, Winograd or depthwise) where they take the geometry; otherwise packed GEMM whose B panels are gathered straight from the image (implicit im2col), bias, residual and relu fused in the GEMM epilogue.
#include "../conv-common.h"
#include "../isa.h"
#include "../gemm.h"

namespace sn {

namespace {
void convImage(const ConvGeom& g, const float* x, const float* w, const float* bias, const float* residual, bool relu, float* y, ThreadPool* pool,
               Isa isa) {
  for (int64_t grp = 0; grp < g.G; grp++) {
    const ImplicitCol col{&g, x, grp * g.Cg};
    Gemm m;
    m.M = g.Og;
    m.N = g.P;
    m.K = g.Kdim;
    m.A = w + grp * g.Og * g.Kdim;
    m.rsA = g.Kdim;
    m.csA = 1;
    if (g.pointwise) {
      m.B = x + grp * g.Cg * g.P;
      m.rsB = g.P;
      m.csB = 1;
    } else {
      m.packB = packColPanel;
      m.packCtx = &col;
    }
    m.C = y + grp * g.Og * g.P;
    m.ldc = g.P;
    m.biasRow = bias ? bias + grp * g.Og : nullptr;
    m.residual = residual ? residual + grp * g.Og * g.P : nullptr;
    m.relu = relu;
    m.isa = isa;
    gemm(m, pool);
  }
}
}  // namespace

/**
 * inputs [x, filter, bias?, residual?] (residual of the output's shape); numbers [relu 0|1, noGrad 0|1?]. noGrad: no gradient is
 * recorded through the call, so the filter takes the algorithms of constant ones (Winograd from 16 channels on AVX2), whose
 * rounding would flip ReLU masks of a training step (conv/winograd.inl); the filter cache still follows its writes.
 */
Prepared prepareConv2D(const Args& a) {
  ConvGeom g = readConvPlan(a);
  if (a.in.size() < 2 || a.in.size() > 4) a.fail("expected inputs [x, filter, bias?, residual?], got " + std::to_string(a.in.size()));
  a.input(0, "x", g.inSize);
  a.input(1, "filter", g.filterSize);
  const bool hasBias = a.has(2);
  if (hasBias) a.input(2, "bias", g.O);
  const bool hasResidual = a.has(3);
  if (hasResidual) a.input(3, "residual", g.outSize);
  const bool relu = a.n(0) != 0;
  Prepared p;
  p.outSizes = {g.outSize};
  const KernelSet* ks = &kernelSet(a.isa);
  const bool direct = ks->forwardFits(g);
  FilterKey key = filterKey(a, 1);
  if (a.num.size() > 1 && a.n(1) != 0) key.constant = true;
  p.body = [g, hasBias, hasResidual, relu, direct, ks, key, isa = a.isa](ThreadPool& pool, const std::vector<float*>& in,
                                                                          const std::vector<float*>& out) {
    const float* bias = hasBias ? in[2] : nullptr;
    const float* residual = hasResidual ? in[3] : nullptr;
    if (direct) {
      ks->forward(g, in[0], key.ref(in[1]), bias, residual, relu, out[0], pool);
      return;
    }
    const int64_t imageIn = g.C * g.H * g.W, imageOut = g.O * g.P;
    if (g.N >= pool.size() && pool.size() > 1) {
      // Whole images per thread: no synchronisation inside the GEMM, each thread keeps its own im2col buffer.
      pool.run(g.N, [&](int64_t n) {
        convImage(g, in[0] + n * imageIn, in[1], bias, residual ? residual + n * imageOut : nullptr, relu, out[0] + n * imageOut, nullptr, isa);
      });
    } else {
      for (int64_t n = 0; n < g.N; n++) {
        convImage(g, in[0] + n * imageIn, in[1], bias, residual ? residual + n * imageOut : nullptr, relu, out[0] + n * imageOut, &pool, isa);
      }
    }
  };
  return p;
}

}  // namespace sn
