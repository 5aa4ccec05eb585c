// MaxPool2DGradArgmax: dx from each window's selected tap (MaxPool2DArgmax): dy added to the input cell the
// tap names. Strides 1 and 2 along the row: the runtime ISA's pool/grad-argmax.inl, on MaxPool2DGrad's routes;
// other strides here, window by window in output order (MaxPool2DGrad's scalar loop), so the two give the same
// bits. A code naming no input cell (-1, a padding tap, NaN, a fraction, out of range) adds nothing, so no argmax
// buffer can make it write outside dx.
#include <cstring>

#include "../isa.h"

namespace sn {

namespace {

void maxPoolGradArgmaxPlaneScalar(const PoolGeom& g, const float* dy, const float* argmax, float* dx) {
  const float taps = static_cast<float>(g.WH * g.WW);
  std::memset(dx, 0, static_cast<size_t>(g.H * g.W) * sizeof(float));
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t hs = oh * g.SH - g.PT;
    for (int64_t ow = 0; ow < g.OW; ow++) {
      const float tf = argmax[oh * g.OW + ow];
      // Comparisons are false for NaN: it is refused with the out-of-range codes.
      if (!(tf >= 0.f && tf < taps)) continue;
      const int64_t t = static_cast<int64_t>(tf);
      if (static_cast<float>(t) != tf) continue;
      const int64_t ih = hs + t / g.WW, iw = ow * g.SW - g.PL + t % g.WW;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      dx[ih * g.W + iw] += dy[oh * g.OW + ow];
    }
  }
}

}  // namespace

/** inputs [dy, argmax]. */
Prepared prepareMaxPool2DGradArgmax(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(2);
  a.input(0, "dy", g.outSize);
  a.input(1, "argmax", g.outSize);
  Prepared p;
  p.outSizes = {g.inSize};
  p.work = poolWork(g) + g.outSize;
  // As MaxPool2DGrad: int32 window positions in the vector kernels.
  const KernelSet* ks = poolGradVectorFits(g) && g.H * g.W < (int64_t{1} << 31) ? &kernelSet(a.isa) : nullptr;
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.H * g.W + g.OH * g.OW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        const float* dy = in[0] + pl * g.OH * g.OW;
        const float* taps = in[1] + pl * g.OH * g.OW;
        float* dx = out[0] + pl * g.H * g.W;
        if (ks) {
          ks->maxPoolGradArgmaxPlane(g, dy, taps, dx);
        } else {
          maxPoolGradArgmaxPlaneScalar(g, dy, taps, dx);
        }
      }
    });
  };
  return p;
}

}  // namespace sn
