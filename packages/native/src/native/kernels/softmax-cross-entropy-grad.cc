// SoftmaxCrossEntropyGrad: dz = dloss[row] * (softmax(z) * sum(l) - l), the exact gradient for any labels.
#include <cmath>

#include "../runtime.h"

namespace sn {

/** inputs [dloss, logits, labels]; plan [rows, cols]. */
Prepared prepareSoftmaxCrossEntropyGrad(const Args& a) {
  a.expectEncoded(2);
  const int64_t rows = a.atLeast(0, 1, "rows"), cols = a.atLeast(1, 1, "cols");
  a.expectInputs(3);
  const int64_t size = checkedProduct(a, {rows, cols}, "logits");
  a.input(0, "dloss", rows);
  a.input(1, "logits", size);
  a.input(2, "labels", size);
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(rows, 1 + (1 << 14) / cols, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const float* z = in[1] + r * cols;
        const float* l = in[2] + r * cols;
        float* dz = out[0] + r * cols;
        float m = z[0];
        for (int64_t j = 1; j < cols; j++) m = (z[j] > m || z[j] != z[j]) ? z[j] : m;
        double s = 0, total = 0;
        for (int64_t j = 0; j < cols; j++) {
          dz[j] = std::exp(z[j] - m);
          s += dz[j];
          total += l[j];
        }
        const float g = in[0][r];
        const float scale = static_cast<float>(total / s);
        for (int64_t j = 0; j < cols; j++) dz[j] = g * (dz[j] * scale - l[j]);
      }
    });
  };
  return p;
}

}  // namespace sn
