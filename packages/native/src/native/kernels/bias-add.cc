// BiasAdd: y = x + bias[c] over [outer, channels, inner].
#include "../runtime.h"

namespace sn {

/** inputs [x, bias]; plan [outer, channels, inner]. */
Prepared prepareBiasAdd(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), C = a.atLeast(1, 1, "channels"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(2);
  const int64_t size = checkedProduct(a, {outer, C, inner}, "x");
  a.input(0, "x", size);
  a.input(1, "bias", C);
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(outer * C, 1 + (1 << 15) / inner, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r++) {
        const float v = in[1][r % C];
        const float* x = in[0] + r * inner;
        float* y = out[0] + r * inner;
        for (int64_t i = 0; i < inner; i++) y[i] = x[i] + v;
      }
    });
  };
  return p;
}

}  // namespace sn
