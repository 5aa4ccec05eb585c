// Softmax / log-softmax over the last axis, max-subtracted.
#include <cmath>

#include "../runtime.h"

namespace sn {

/** inputs [x]; numbers [log 0|1]; plan [rows, cols]. */
Prepared prepareSoftmax(const Args& a) {
  a.expectEncoded(2);
  const int64_t rows = a.atLeast(0, 1, "rows"), cols = a.atLeast(1, 1, "cols");
  a.expectInputs(1);
  const int64_t size = checkedProduct(a, {rows, cols}, "x");
  a.input(0, "x", size);
  const bool log = a.n(0) != 0;
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(rows, 1 + (1 << 14) / cols, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const float* x = in[0] + r * cols;
        float* y = out[0] + r * cols;
        float m = x[0];
        for (int64_t j = 1; j < cols; j++) m = (x[j] > m || x[j] != x[j]) ? x[j] : m;
        double s = 0;
        for (int64_t j = 0; j < cols; j++) {
          y[j] = std::exp(x[j] - m);
          s += y[j];
        }
        if (log) {
          const float lse = static_cast<float>(std::log(s));
          for (int64_t j = 0; j < cols; j++) y[j] = x[j] - m - lse;
        } else {
          const float inv = static_cast<float>(1.0 / s);
          for (int64_t j = 0; j < cols; j++) y[j] *= inv;
        }
      }
    });
  };
  return p;
}

}  // namespace sn
