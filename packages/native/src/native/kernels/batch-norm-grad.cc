// BatchNormGrad: dbeta = sum dy, dgamma = sum dy * xhat,
// dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma), M = outer * inner.
// Each channel is taken in L1-sized blocks (batch-norm-blocks.h); block sums (float lanes) are added in
// double, and dx is written as a * dy + b * (x - mean) + c so no large terms cancel.
#include <cmath>

#include "../isa.h"
#include "../runtime.h"
#include "batch-norm-blocks.h"

namespace sn {

/** inputs [dy, x, gamma, mean, variance]; numbers [epsilon]; plan [outer, channels, inner]; outputs [dx, dgamma, dbeta]. */
Prepared prepareBatchNormGrad(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(5);
  const int64_t size = checkedProduct(a, {outer, C, inner}, "x");
  a.input(0, "dy", size);
  a.input(1, "x", size);
  a.input(2, "gamma", C);
  a.input(3, "mean", C);
  a.input(4, "variance", C);
  const double eps = a.n(0);
  const KernelSet* ks = &kernelSet(a.isa);
  Prepared p;
  p.outSizes = {size, C, C};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const double M = static_cast<double>(outer * inner);
    pool.parallelFor(C, bnGrain(outer, inner), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) {
        const float mean = in[3][c];
        const double invstd = 1.0 / std::sqrt(static_cast<double>(in[4][c]) + eps);
        double sdy = 0, sdxm = 0;
        forEachBnBlock(outer, C, inner, c, [&](int64_t off, int64_t len) {
          float bdy, bdxm;
          ks->bnGradSums(in[0] + off, in[1] + off, len, mean, &bdy, &bdxm);
          sdy += bdy;
          sdxm += bdxm;
        });
        const double sdyx = sdxm * invstd;
        out[1][c] = static_cast<float>(sdyx);
        out[2][c] = static_cast<float>(sdy);
        const double k = in[2][c] * invstd / M;
        const float ca = static_cast<float>(k * M), cb = static_cast<float>(-k * invstd * sdyx), cc = static_cast<float>(-k * sdy);
        forEachBnBlock(outer, C, inner, c, [&](int64_t off, int64_t len) {
          ks->bnGradApply(in[0] + off, in[1] + off, len, ca, cb, mean, cc, out[0] + off);
        });
      }
    });
  };
  return p;
}

}  // namespace sn
