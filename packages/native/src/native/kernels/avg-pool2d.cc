// AvgPool2D: strides 1 and 2 along the row by the runtime ISA's vector kernel (pool/planes.inl, padding masked); otherwise window sums swept across whole output rows (vectorised). Then PyTorch's divisor per cell.
#include "../isa.h"

namespace sn {

namespace {
SN_CLONES void addRow(float* o, const float* src, int64_t lo, int64_t hi, int64_t stride) {
  if (stride == 1) {
    for (int64_t ow = lo; ow < hi; ow++) o[ow] += src[ow];
  } else {
    for (int64_t ow = lo; ow < hi; ow++) o[ow] += src[ow * stride];
  }
}
}  // namespace

/** inputs [x]. */
Prepared prepareAvgPool2D(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.outSize};
  const KernelSet* ks = poolVectorFits(g) ? &kernelSet(a.isa) : nullptr;
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    std::vector<float> inv(static_cast<size_t>(g.OH * g.OW));
    for (int64_t oh = 0; oh < g.OH; oh++)
      for (int64_t ow = 0; ow < g.OW; ow++) inv[oh * g.OW + ow] = 1.f / g.divisor(oh, ow);
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        const float* x = in[0] + pl * g.H * g.W;
        float* y = out[0] + pl * g.OH * g.OW;
        if (ks) {
          ks->avgPoolPlane(g, x, inv.data(), y);
          continue;
        }
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
