// Dropout: y = noise >= rate ? x / (1 - rate) : 0; the noise comes from core's RNG so every backend agrees.
#include <cstdint>
#include <cstring>

#include "../ops.h"

namespace sn {

namespace {
// Branch-free select over restrict pointers, so it vectorises (random noise defeats branch prediction).
SN_CLONES void dropoutRange(const float* __restrict x, const float* __restrict noise, float* __restrict y, int64_t n, float rate,
                            float scale) {
  for (int64_t i = 0; i < n; i++) {
    // A bit mask instead of a select: GCC keeps a select on floats as a branch (trapping math), and
    // random noise makes that branch unpredictable.
    const float v = x[i] * scale;
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    bits &= noise[i] >= rate ? 0xFFFFFFFFu : 0u;
    std::memcpy(y + i, &bits, sizeof bits);
  }
}
}  // namespace

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
    forPieces(pool, size, kElementGrain, 16, [&](int64_t b, int64_t e) {
      dropoutRange(in[0] + b, in[1] + b, out[0] + b, e - b, rate, scale);
    });
  };
  return p;
}

}  // namespace sn
