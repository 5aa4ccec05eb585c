// BatchNormInference: y = (x - mean) / sqrt(var + eps) * gamma + beta, folded to one multiply-add.
#include <cmath>

#include "../runtime.h"

namespace sn {

/** inputs [x, gamma, beta, mean, variance]; numbers [epsilon]; plan [outer, channels, inner]. */
Prepared prepareBatchNormInference(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(5);
  const int64_t size = checkedProduct(a, {outer, C, inner}, "x");
  a.input(0, "x", size);
  a.input(1, "gamma", C);
  a.input(2, "beta", C);
  a.input(3, "mean", C);
  a.input(4, "variance", C);
  const double eps = a.n(0);
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(outer * C, 1 + (1 << 15) / inner, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const int64_t c = r % C;
        const double sc = in[1][c] / std::sqrt(static_cast<double>(in[4][c]) + eps);
        const float scale = static_cast<float>(sc);
        const float shift = static_cast<float>(in[2][c] - in[3][c] * sc);
        const float* x = in[0] + r * inner;
        float* y = out[0] + r * inner;
        for (int64_t i = 0; i < inner; i++) y[i] = x[i] * scale + shift;
      }
    });
  };
  return p;
}

}  // namespace sn
