// Reduce: [outer, reduce, inner] -> [outer, inner]; sums accumulate in double, max propagates NaN.
#include <algorithm>
#include <limits>
#include <vector>

#include "../ops.h"

namespace sn {

/** inputs [x]; numbers [op]; plan [outer, reduce, inner]. */
Prepared prepareReduce(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), R = a.atLeast(1, 1, "reduce"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(1);
  a.input(0, "x", checkedProduct(a, {outer, R, inner}, "x"));
  const ReduceOp op = opCode<ReduceOp>(a, 0, "reduce op");
  Prepared p;
  p.outSizes = {checkedProduct(a, {outer, inner}, "output")};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(outer, 1 + (1 << 15) / (R * inner), [&](int64_t b, int64_t e) {
      std::vector<double> acc(static_cast<size_t>(inner));
      for (int64_t o = b; o < e; o++) {
        const float* x = in[0] + o * R * inner;
        float* y = out[0] + o * inner;
        if (op == ReduceOp::Max) {
          for (int64_t i = 0; i < inner; i++) y[i] = -std::numeric_limits<float>::infinity();
          for (int64_t r = 0; r < R; r++) {
            const float* row = x + r * inner;
            for (int64_t i = 0; i < inner; i++) y[i] = (row[i] > y[i] || row[i] != row[i]) ? row[i] : y[i];
          }
          continue;
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t r = 0; r < R; r++) {
          const float* row = x + r * inner;
          for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
        }
        const double scale = op == ReduceOp::Mean ? 1.0 / static_cast<double>(R) : 1.0;
        for (int64_t i = 0; i < inner; i++) y[i] = static_cast<float>(acc[i] * scale);
      }
    });
  };
  return p;
}

}  // namespace sn
