// BatchNormTrain: per-channel batch mean and biased variance (two passes, double accumulation), the running-statistics
// update in place, then y = act(normalised + residual).
#include <cmath>

#include "../runtime.h"

namespace sn {

/**
 * inputs [x, gamma, beta, residual?, runningMean?, runningVar?]; numbers [epsilon, relu 0|1, keep, take mean, take variance]
 * (running r = r * keep + s * take in float32 steps); plan [outer, channels, inner]; outputs [y, mean, variance].
 */
Prepared prepareBatchNormTrain(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  if (a.in.size() < 3 || a.in.size() > 6) a.fail("expected inputs [x, gamma, beta, residual?, runningMean?, runningVar?], got " + std::to_string(a.in.size()));
  const int64_t size = checkedProduct(a, {outer, C, inner}, "x");
  a.input(0, "x", size);
  a.input(1, "gamma", C);
  a.input(2, "beta", C);
  const bool hasResidual = a.has(3), hasMean = a.has(4), hasVar = a.has(5);
  if (hasResidual) a.input(3, "residual", size);
  if (hasMean) a.input(4, "runningMean", C);
  if (hasVar) a.input(5, "runningVar", C);
  const double eps = a.n(0);
  const bool relu = a.n(1) != 0;
  const float keep = static_cast<float>(a.n(2)), takeMean = static_cast<float>(a.n(3)), takeVar = static_cast<float>(a.n(4));
  Prepared p;
  p.outSizes = {size, C, C};
  if (hasMean) p.writes.push_back(4);
  if (hasVar) p.writes.push_back(5);
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
        const float mean32 = static_cast<float>(mean), var32 = static_cast<float>(var);
        out[1][c] = mean32;
        out[2][c] = var32;
        // Two float32 products, then their float32 sum (this file is built for baseline x86-64: no FMA contraction).
        if (hasMean) in[4][c] = in[4][c] * keep + mean32 * takeMean;
        if (hasVar) in[5][c] = in[5][c] * keep + var32 * takeVar;
        const float scale = static_cast<float>(in[1][c] / std::sqrt(var + eps));
        const float shift = static_cast<float>(in[2][c] - mean * scale);
        for (int64_t o = 0; o < outer; o++) {
          const float* x = in[0] + (o * C + c) * inner;
          float* y = out[0] + (o * C + c) * inner;
          const float* r = hasResidual ? in[3] + (o * C + c) * inner : nullptr;
          for (int64_t i = 0; i < inner; i++) {
            float v = x[i] * scale + shift;
            if (r) v += r[i];
            // NaN passes through relu.
            y[i] = relu && v < 0 ? 0.0f : v;
          }
        }
      }
    });
  };
  return p;
}

}  // namespace sn
