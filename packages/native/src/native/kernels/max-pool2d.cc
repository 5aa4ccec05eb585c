// MaxPool2D: strides 1 and 2 along the row by the runtime ISA's vector kernel (pool/planes.inl, a vector of
// output columns at a time, padding masked); other strides build each output row by sweeping window
// offsets across the whole row, so the inner loop runs over contiguous output columns and vectorises.

#include <limits>

#include "../isa.h"

namespace sn {

namespace {
SN_CLONES void maxRow(float* o, const float* src, int64_t lo, int64_t hi, int64_t stride) {
  if (stride == 1) {
    for (int64_t ow = lo; ow < hi; ow++) {
      const float v = src[ow];
      o[ow] = (v > o[ow] || v != v) ? v : o[ow];
    }
  } else {
    for (int64_t ow = lo; ow < hi; ow++) {
      const float v = src[ow * stride];
      o[ow] = (v > o[ow] || v != v) ? v : o[ow];
    }
  }
}


// A NaN already in o must stay: v > NaN is false and v != v only for a NaN v.
void maxPlane(const PoolGeom& g, const float* x, float* y) {
  for (int64_t oh = 0; oh < g.OH; oh++) {
    float* o = y + oh * g.OW;
    for (int64_t ow = 0; ow < g.OW; ow++) o[ow] = -std::numeric_limits<float>::infinity();
    for (int64_t kh = 0; kh < g.WH; kh++) {
      const int64_t ih = oh * g.SH - g.PT + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (int64_t kw = 0; kw < g.WW; kw++) {
        int64_t lo, hi;
        g.columns(kw, lo, hi);
        maxRow(o, x + ih * g.W + kw - g.PL, lo, hi, g.SW);
      }
    }
  }
}
}  // namespace

/** inputs [x]. */
Prepared prepareMaxPool2D(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.outSize};
  const KernelSet* ks = poolVectorFits(g) ? &kernelSet(a.isa) : nullptr;
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        if (ks) {
          ks->maxPoolPlane(g, in[0] + pl * g.H * g.W, out[0] + pl * g.OH * g.OW);
          continue;
        }
        maxPlane(g, in[0] + pl * g.H * g.W, out[0] + pl * g.OH * g.OW);
      }
    });
  };
  return p;
}

}  // namespace sn
