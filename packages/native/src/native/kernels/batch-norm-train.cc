// BatchNormTrain: per-channel batch mean and biased variance, then normalise. Each channel is taken in
// L1-sized blocks (batch-norm-blocks.h): the ISA kernel gives a block's mean and sum of squared
// deviations (float lanes, shifted by the block mean), and the blocks are merged in double with the
// parallel-variance formula (Chan et al.), so the variance keeps its accuracy without E[x^2] - E[x]^2.
#include <cmath>

#include "../isa.h"
#include "../runtime.h"
#include "batch-norm-blocks.h"

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
  const KernelSet* ks = &kernelSet(a.isa);
  Prepared p;
  p.outSizes = {size, C, C};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(C, bnGrain(outer, inner), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) {
        double n = 0, mean = 0, m2 = 0;
        forEachBnBlock(outer, C, inner, c, [&](int64_t off, int64_t len) {
          double bm, bq;
          ks->bnBlockMoments(in[0] + off, len, &bm, &bq);
          const double nb = static_cast<double>(len), total = n + nb, delta = bm - mean;
          mean += delta * nb / total;
          m2 += bq + delta * delta * n * nb / total;
          n = total;
        });
        const double var = m2 / n;
        out[1][c] = static_cast<float>(mean);
        out[2][c] = static_cast<float>(var);
        const float m = static_cast<float>(mean), scale = static_cast<float>(in[1][c] / std::sqrt(var + eps)), beta = in[2][c];
        forEachBnBlock(outer, C, inner, c, [&](int64_t off, int64_t len) { ks->bnNormalize(in[0] + off, len, m, scale, beta, out[0] + off); });
      }
    });
  };
  return p;
}

}  // namespace sn
