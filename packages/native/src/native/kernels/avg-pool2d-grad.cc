// AvgPool2DGrad: spreads dy / divisor over each window's cells inside the input.
#include <cstring>

#include "../pool-common.h"

namespace sn {

/** inputs [dy]. */
Prepared prepareAvgPool2DGrad(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "dy", g.outSize);
  Prepared p;
  p.outSizes = {g.inSize};
  p.body = [g](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    std::vector<float> inv(static_cast<size_t>(g.OH * g.OW));
    for (int64_t oh = 0; oh < g.OH; oh++)
      for (int64_t ow = 0; ow < g.OW; ow++) inv[oh * g.OW + ow] = 1.f / g.divisor(oh, ow);
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        const float* dy = in[0] + pl * g.OH * g.OW;
        float* dx = out[0] + pl * g.H * g.W;
        std::memset(dx, 0, static_cast<size_t>(g.H * g.W) * sizeof(float));
        for (int64_t oh = 0; oh < g.OH; oh++) {
          const int64_t h0 = std::max<int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.WH, g.H);
          for (int64_t ow = 0; ow < g.OW; ow++) {
            const int64_t w0 = std::max<int64_t>(ow * g.SW - g.PL, 0), w1 = std::min(ow * g.SW - g.PL + g.WW, g.W);
            const float v = dy[oh * g.OW + ow] * inv[oh * g.OW + ow];
            for (int64_t ih = h0; ih < h1; ih++)
              for (int64_t iw = w0; iw < w1; iw++) dx[ih * g.W + iw] += v;
          }
        }
      }
    });
  };
  return p;
}

}  // namespace sn
