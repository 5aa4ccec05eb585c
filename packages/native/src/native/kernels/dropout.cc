// Dropout: y = noise >= rate ? x / (1 - rate) : 0; the noise comes from core's RNG so every backend agrees.
#include "../ops.h"

namespace sn {

/** inputs [x, noise]; encoded [size]; numbers [rate]. */
Prepared prepareDropout(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(2);
  a.input(0, "x", size);
  a.input(1, "noise", size);
  const float rate = static_cast<float>(a.n(0));
  if (!(rate >= 0.f && rate <= 1.f)) a.fail("rate " + std::to_string(rate) + " is outside [0, 1]");
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const float scale = rate < 1.f ? 1.f / (1.f - rate) : 0.f;
    forRange(pool, size, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) out[0][i] = in[1][i] >= rate ? in[0][i] * scale : 0.f;
    });
  };
  return p;
}

}  // namespace sn
