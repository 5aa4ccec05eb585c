// BiasAddGrad: per-channel sum of dy over outer and inner axes (double accumulation).
#include "../ops.h"

namespace sn {

namespace {
SN_CLONES float sumRow(const float* __restrict v, int64_t n) { return sumLanes<float, 16>(v, n); }
}  // namespace

/** inputs [dy]; plan [outer, channels, inner]. */
Prepared prepareBiasAddGrad(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(1);
  a.input(0, "dy", checkedProduct(a, {outer, C, inner}, "dy"));
  Prepared p;
  p.outSizes = {C};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(C, 1 + (1 << 15) / (outer * inner), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; c++) {
        double s = 0;
        for (int64_t o = 0; o < outer; o++) {
          const float* dy = in[0] + (o * C + c) * inner;
          s += sumRow(dy, inner);
        }
        out[0][c] = static_cast<float>(s);
      }
    });
  };
  return p;
}

}  // namespace sn
