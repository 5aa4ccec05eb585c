// SoftmaxCrossEntropy: per-row -sum(l * logSoftmax(z)) = sum(l) * logsumexp(z) - sum(l * z).
#include <cmath>

#include "../runtime.h"

namespace sn {

/** inputs [logits, labels]; plan [rows, cols]. */
Prepared prepareSoftmaxCrossEntropy(const Args& a) {
  a.expectEncoded(2);
  const int64_t rows = a.atLeast(0, 1, "rows"), cols = a.atLeast(1, 1, "cols");
  a.expectInputs(2);
  const int64_t size = checkedProduct(a, {rows, cols}, "logits");
  a.input(0, "logits", size);
  a.input(1, "labels", size);
  Prepared p;
  p.outSizes = {rows};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(rows, 1 + (1 << 14) / cols, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const float* z = in[0] + r * cols;
        const float* l = in[1] + r * cols;
        float m = z[0];
        for (int64_t j = 1; j < cols; j++) m = (z[j] > m || z[j] != z[j]) ? z[j] : m;
        double s = 0, total = 0, dot = 0;
        for (int64_t j = 0; j < cols; j++) {
          s += std::exp(static_cast<double>(z[j] - m));
          total += l[j];
          dot += static_cast<double>(l[j]) * (z[j] - m);
        }
        out[0][r] = static_cast<float>(total * std::log(s) - dot);
      }
    });
  };
  return p;
}

}  // namespace sn
