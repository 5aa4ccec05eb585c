// BatchNormTrain: per-channel batch mean and biased variance, the running-statistics update in place, then
// y = act(gamma * (x - mean) / sqrt(var + eps) + beta + residual). The ISA loops (batch-norm.inl) sum x - shift
// and (x - shift)^2 in double lanes per block (batch-norm-tasks.h), with shift the mean of the channel's first
// few values, so the one-pass variance s2 / n - (s1 / n)^2 loses nothing that matters (s1 / n is within a few
// standard deviations of 0). The blocks merge in double in a fixed order; y is computed in double, rounded once.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../isa.h"
#include "../runtime.h"
#include "batch-norm-tasks.h"

namespace sn {
namespace {

/** Mean of the first (up to 16) values of channel c's first row: the origin of its sums. */
double channelShift(const float* x, int64_t c, int64_t inner) {
  const int64_t n = std::min<int64_t>(inner, 16);
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += x[c * inner + i];
  return s / static_cast<double>(n);
}

}  // namespace

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
  const KernelSet* ks = &kernelSet(a.isa);
  const BnTasks plan(outer, C, inner);
  Prepared p;
  p.outSizes = {size, C, C};
  if (hasMean) p.writes.push_back(4);
  if (hasVar) p.writes.push_back(5);
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const double count = static_cast<double>(outer * inner);
    std::vector<double> partial(static_cast<size_t>(plan.at(C, 0)));
    const auto sums = [&](int64_t t) {
      plan.each(t, [&](int64_t c, int64_t b, const BnRows& r, int64_t off) {
        ks->bnMoments(r, in[0] + off, channelShift(in[0], c, inner), &partial[plan.at(c, b)]);
      });
    };
    plan.run(pool, sums, [&](int64_t t) {
      plan.each(t, [&](int64_t c, int64_t b, const BnRows& r, int64_t off) {
        double s[2];
        plan.merge(partial.data(), c, s);
        const double d = s[0] / count, mean = channelShift(in[0], c, inner) + d, var = std::max(0.0, s[1] / count - d * d);
        if (b == 0) {
          const float mean32 = static_cast<float>(mean), var32 = static_cast<float>(var);
          out[1][c] = mean32;
          out[2][c] = var32;
          // Two float32 products, then their float32 sum (this file is built for baseline x86-64: no FMA contraction).
          if (hasMean) in[4][c] = in[4][c] * keep + mean32 * takeMean;
          if (hasVar) in[5][c] = in[5][c] * keep + var32 * takeVar;
        }
        const BnAffine k{mean, in[1][c] / std::sqrt(var + eps), in[2][c]};
        ks->bnNormalize(r, in[0] + off, hasResidual ? in[3] + off : nullptr, relu, k, out[0] + off);
      });
    });
  };
  return p;
}

}  // namespace sn
