// BatchNormGrad: dbeta = sum dy, dgamma = sum dy * xhat,
// dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma), M = outer * inner; with a fused relu, dy counts only
// where the forward output y > 0.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../runtime.h"

namespace sn {

namespace {
/** dy[i] where the fused relu's output y[i] > 0, else 0 (all of dy without y), by a bit mask: relu masks are too irregular to branch on. */
inline double maskedGrad(const float* dy, const float* y, int64_t i) {
  if (!y) return dy[i];
  uint32_t bits;
  std::memcpy(&bits, dy + i, sizeof bits);
  bits &= 0u - static_cast<uint32_t>(y[i] > 0.0f);
  float g;
  std::memcpy(&g, &bits, sizeof g);
  return g;
}
}  // namespace

/** inputs [dy, x, gamma, mean, variance, y?]; numbers [epsilon, relu 0|1]; plan [outer, channels, inner]; outputs [dx, dgamma, dbeta]. */
Prepared prepareBatchNormGrad(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  if (a.in.size() < 5 || a.in.size() > 6) a.fail("expected inputs [dy, x, gamma, mean, variance, y?], got " + std::to_string(a.in.size()));
  const int64_t size = checkedProduct(a, {outer, C, inner}, "x");
  a.input(0, "dy", size);
  a.input(1, "x", size);
  a.input(2, "gamma", C);
  a.input(3, "mean", C);
  a.input(4, "variance", C);
  const double eps = a.n(0);
  const bool relu = a.n(1) != 0;
  if (relu && !a.has(5)) a.fail("activation relu needs the forward output y (inputs[5])");
  if (relu) a.input(5, "y", size);
  Prepared p;
  p.outSizes = {size, C, C};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const double M = static_cast<double>(outer * inner);
    pool.parallelFor(C, 1 + (1 << 15) / (outer * inner), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) {
        const double mean = in[3][c];
        const double invstd = 1.0 / std::sqrt(static_cast<double>(in[4][c]) + eps);
        double sdy = 0, sdyx = 0;
        for (int64_t o = 0; o < outer; o++) {
          const float* dy = in[0] + (o * C + c) * inner;
          const float* x = in[1] + (o * C + c) * inner;
          const float* y = relu ? in[5] + (o * C + c) * inner : nullptr;
          for (int64_t i = 0; i < inner; i++) {
            const double g = maskedGrad(dy, y, i);
            sdy += g;
            sdyx += g * ((x[i] - mean) * invstd);
          }
        }
        out[1][c] = static_cast<float>(sdyx);
        out[2][c] = static_cast<float>(sdy);
        const double k = in[2][c] * invstd / M;
        for (int64_t o = 0; o < outer; o++) {
          const float* dy = in[0] + (o * C + c) * inner;
          const float* x = in[1] + (o * C + c) * inner;
          const float* y = relu ? in[5] + (o * C + c) * inner : nullptr;
          float* dx = out[0] + (o * C + c) * inner;
          for (int64_t i = 0; i < inner; i++) {
            const double xhat = (x[i] - mean) * invstd;
            const double g = maskedGrad(dy, y, i);
            dx[i] = static_cast<float>(k * (M * g - sdy - xhat * sdyx));
          }
        }
      }
    });
  };
  return p;
}

}  // namespace sn
