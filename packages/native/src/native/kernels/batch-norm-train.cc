// BatchNormTrain: per-channel batch mean and biased variance (two passes, double accumulation), then normalise.
#include <cmath>

#include "../runtime.h"

namespace sn {

/** inputs [x, gamma, beta]; numbers [epsilon]; plan [outer, channels, inner]; outputs [y, mean, variance]. */
Prepared prepareBatchNormTrain(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(3);
  const int64_t size = checkedProduct(a, {outer, C, inner}, "x");
  a.input(0, "x", size);
  a.input(1, "gamma", C);
  a.input(2, "beta", C);
  const double eps = a.n(0);
  Prepared p;
  p.outSizes = {size, C, C};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const double count = static_cast<double>(outer * inner);
    pool.parallelFor(C, 1 + (1 << 15) / (outer * inner), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) {
        double s = 0;
        for (int64_t o = 0; o < outer; o++) {
          const float* x = in[0] + (o * C + c) * inner;
          for (int64_t i = 0; i < inner; i++) s += x[i];
        }
        const double mean = s / count;
        double v = 0;
        for (int64_t o = 0; o < outer; o++) {
          const float* x = in[0] + (o * C + c) * inner;
          for (int64_t i = 0; i < inner; i++) {
            const double d = x[i] - mean;
            v += d * d;
          }
        }
        const double var = v / count;
        out[1][c] = static_cast<float>(mean);
        out[2][c] = static_cast<float>(var);
        const float scale = static_cast<float>(in[1][c] / std::sqrt(var + eps));
        const float shift = static_cast<float>(in[2][c] - mean * scale);
        for (int64_t o = 0; o < outer; o++) {
          const float* x = in[0] + (o * C + c) * inner;
          float* y = out[0] + (o * C + c) * inner;
          for (int64_t i = 0; i < inner; i++) y[i] = x[i] * scale + shift;
        }
      }
    });
  };
  return p;
}

}  // namespace sn
