// AllFinite: [1] = 1 when no value of any listed tensor is NaN or ±Inf, else 0; one parallel pass
// over all of their values.
#include <atomic>
#include <cstdint>
#include <cstring>

#include "../tensor-list.h"

namespace sn {

/** inputs xs; plan [count, total, sizes...]. */
Prepared prepareAllFinite(const Args& a) {
  const TensorList list = TensorList::read(a, {"xs"});
  Prepared p;
  p.outSizes = {1};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    std::atomic<bool> finite{true};
    list.forEachPiece(pool, kTensorListGrain, [&](int64_t t, int64_t b, int64_t e) {
      if (!finite.load(std::memory_order_relaxed)) return;
      const float* x = in[t];
      // NaN and ±Inf are the values whose exponent bits are all ones; an integer OR vectorises.
      uint32_t bad = 0;
      for (int64_t i = b; i < e; i++) {
        uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
      }
      if (bad) finite.store(false, std::memory_order_relaxed);
    });
    out[0][0] = finite.load() ? 1.0f : 0.0f;
  };
  return p;
}

}  // namespace sn
