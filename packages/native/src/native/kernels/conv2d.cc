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
/**
 * 1x1 strided layers without padding (ResNet's shortcuts) read only every SH-th row and SW-th column of the input. On the
 * avx2 path on Intel, where an image's kept pixels fill 128 GEMM columns or more, they are gathered into a compact image
 * and the layer runs as a pointwise one on it (the GEMM, as 1x1 stride-1 forwards do there). The direct channel-lane
 * kernel's slab copies every input row and both column phases, four times the pixels it reads. Emerald Rapids,
 * bench/model-profile.ts resnet18 2 compiled --threads 1 --isa=avx2 --cpu-time --iters=8, 3 rounds alternated with the
 * direct kernel's addon at load 3.7, ms per inference: 2x64x56x56 -> 128 0.50-0.56 -> 0.42-0.46, 2x128x28x28 -> 256
 * 0.40-0.44 -> 0.37-0.39; 2x256x14x14 -> 512 (49 columns an image) 0.37-0.43 -> 0.42-0.44, so it keeps the blocked
 * channel-lane kernel. ResNet-20's 16- and 32-channel shortcuts keep the direct kernel (the implicit-im2col GEMM measured
 * slower there, native README), the avx512 path too (isa-check 2x64x56x56 -> 128 1x1/2: 82-96 GFLOP/s this way against
 * 89-101 direct), and AMD's avx2 path, where nobody measured it.
 */
bool shortcutByGemm(const ConvGeom& g, Isa isa) {
  return isa == Isa::Avx2 && cpuVendorIntel() && g.KH == 1 && g.KW == 1 && (g.SH > 1 || g.SW > 1) && g.PT == 0 && g.PB == 0 && g.PL == 0 &&
         g.PR == 0 && g.Cg >= 64 && g.P >= 128;
}

/** The pointwise geometry of a shortcutByGemm layer's kept pixels. */
ConvGeom keptPixels(const ConvGeom& g) {
  ConvGeom k = g;
  k.H = g.OH;
  k.W = g.OW;
  k.SH = k.SW = 1;
  k.inSize = g.N * g.C * g.P;
  k.pointwise = true;
  return k;
}

/** Image `n`'s kept pixels (keptPixels) into `out`, C x OH x OW. */
void gatherKept(const ConvGeom& g, const float* x, int64_t n, float* out) {
  for (int64_t c = 0; c < g.C; c++) {
    const float* plane = x + (n * g.C + c) * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const float* src = plane + oh * g.SH * g.W;
      float* dst = out + (c * g.OH + oh) * g.OW;
      for (int64_t ow = 0; ow < g.OW; ow++) dst[ow] = src[ow * g.SW];
    }
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
  const bool kept = shortcutByGemm(g, a.isa);
  const bool direct = !kept && ks->forwardFits(g);
  FilterKey key = filterKey(a, 1);
  if (a.num.size() > 1 && a.n(1) != 0) key.constant = true;
  p.body = [g, hasBias, hasResidual, relu, direct, kept, ks, key, isa = a.isa](ThreadPool& pool, const std::vector<float*>& in,
                                                                                const std::vector<float*>& out) {
    const float* bias = hasBias ? in[2] : nullptr;
    const float* residual = hasResidual ? in[3] : nullptr;
    if (direct) {
      ks->forward(g, in[0], key.ref(in[1]), bias, residual, relu, out[0], pool);
      return;
    }
    const ConvGeom k = kept ? keptPixels(g) : g;
    const int64_t imageIn = g.C * g.H * g.W, imageOut = g.O * g.P;
    // The image the GEMM reads: the input's, or its kept pixels gathered into this thread's scratch.
    const auto image = [&](int64_t n) -> const float* {
      if (!kept) return in[0] + n * imageIn;
      float* buffer = scratch(static_cast<size_t>(g.C * g.P), 0);
      gatherKept(g, in[0], n, buffer);
      return buffer;
    };
    if (g.N >= pool.size() && pool.size() > 1) {
      // Whole images per thread: no synchronisation inside the GEMM, each thread keeps its own im2col buffer.
      pool.run(g.N, [&](int64_t n) {
        convImage(k, image(n), in[1], bias, residual ? residual + n * imageOut : nullptr, relu, out[0] + n * imageOut, nullptr, isa);
      });
    } else {
      for (int64_t n = 0; n < g.N; n++) {
        convImage(k, image(n), in[1], bias, residual ? residual + n * imageOut : nullptr, relu, out[0] + n * imageOut, &pool, isa);
      }
    }
  };
  return p;
}

}  // namespace sn
