// MaxPool2DGrad: recomputes each window's first maximum (or its last NaN, as PyTorch) and routes dy there; strides 1 and 2 along the row a vector of windows at a time (the runtime ISA's pool/grad.inl).
#include <cstring>
#include <limits>

#include "../isa.h"

namespace sn {


/** inputs [dy, x]. */
Prepared prepareMaxPool2DGrad(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(2);
  a.input(0, "dy", g.outSize);
  a.input(1, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.inSize};
  p.work = poolWork(g);
  // Window positions are int32 lanes in the vector kernel.
  const KernelSet* ks = poolGradVectorFits(g) && g.H * g.W < (int64_t{1} << 31) ? &kernelSet(a.isa) : nullptr;
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        const float* dy = in[0] + pl * g.OH * g.OW;
        const float* x = in[1] + pl * g.H * g.W;
        float* dx = out[0] + pl * g.H * g.W;
        if (ks) {
          ks->maxPoolGradPlane(g, dy, x, dx);
          continue;
        }
        std::memset(dx, 0, static_cast<size_t>(g.H * g.W) * sizeof(float));
        for (int64_t oh = 0; oh < g.OH; oh++) {
          const int64_t h0 = std::max<int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.WH, g.H);
          for (int64_t ow = 0; ow < g.OW; ow++) {
            const int64_t w0 = std::max<int64_t>(ow * g.SW - g.PL, 0), w1 = std::min(ow * g.SW - g.PL + g.WW, g.W);
            int64_t best = -1;
            float bv = 0.f;
            // v > NaN is false, so after a NaN only a later NaN moves best: the last NaN wins.
            for (int64_t ih = h0; ih < h1; ih++) {
              for (int64_t iw = w0; iw < w1; iw++) {
                const float v = x[ih * g.W + iw];
                if (best < 0 || v > bv || v != v) {
                  best = ih * g.W + iw;
                  bv = v;
                }
              }
            }
            if (best >= 0) dx[best] += dy[oh * g.OW + ow];
          }
        }
      }
    });
  };
  return p;
}

}  // namespace sn
