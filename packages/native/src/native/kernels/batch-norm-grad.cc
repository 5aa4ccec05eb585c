// BatchNormGrad: dbeta = sum g, dgamma = sum g * xhat, dx = gamma * invstd / M * (M * g - dbeta - xhat * dgamma),
// M = outer * inner, xhat = (x - mean) * invstd, g = dy, or with a fused relu dy where the forward output y > 0.
// The ISA loops (batch-norm.inl) sum g and g * (x - mean) in double lanes per block (batch-norm-tasks.h); the
// blocks merge in double in a fixed order, and dx = a * g + b * (x - mean) + c is computed in double, rounded once.
#include <cmath>
#include <vector>

#include "../isa.h"
#include "../runtime.h"
#include "batch-norm-tasks.h"

namespace sn {

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
  const KernelSet* ks = &kernelSet(a.isa);
  const BnTasks plan(outer, C, inner);
  Prepared p;
  p.outSizes = {size, C, C};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const double M = static_cast<double>(outer * inner);
    std::vector<double> partial(static_cast<size_t>(plan.at(C, 0)));
    const auto mask = [&](int64_t off) { return relu ? in[5] + off : nullptr; };
    const auto sums = [&](int64_t t) {
      plan.each(t, [&](int64_t c, int64_t b, const BnRows& r, int64_t off) {
        ks->bnGradSums(r, in[0] + off, in[1] + off, mask(off), in[3][c], &partial[plan.at(c, b)]);
      });
    };
    plan.run(pool, sums, [&](int64_t t) {
      plan.each(t, [&](int64_t c, int64_t b, const BnRows& r, int64_t off) {
        double s[2];
        plan.merge(partial.data(), c, s);
        const double invstd = 1.0 / std::sqrt(static_cast<double>(in[4][c]) + eps), dgamma = s[1] * invstd;
        if (b == 0) {
          out[1][c] = static_cast<float>(dgamma);
          out[2][c] = static_cast<float>(s[0]);
        }
        const double k = in[2][c] * invstd / M;
        ks->bnGradApply(r, in[0] + off, in[1] + off, mask(off), BnGradCoef{k * M, -k * invstd * dgamma, in[3][c], -k * s[0]}, out[0] + off);
      });
    });
  };
  return p;
}

}  // namespace sn
