// Pad: constant padding; each output last-axis run is value, a copied input run, value.
#include <cstring>

#include "../runtime.h"

namespace sn {

/** inputs [x]; numbers [value]; plan [rank, inShape x6, before x6, after x6]. */
Prepared preparePad(const Args& a) {
  a.expectEncoded(19);
  a.expectInputs(1);
  const int64_t rank = a.e(0);
  if (rank < 1 || rank > 6) a.fail("plan rank " + std::to_string(rank) + " is outside 1 to 6");
  std::vector<int64_t> in(rank), before(rank), outShape(rank);
  int64_t inSize = 1, outSize = 1;
  for (int d = 0; d < rank; d++) {
    in[d] = a.atLeast(1 + d, 1, "inShape");
    before[d] = a.atLeast(7 + d, 0, "before");
    const int64_t after = a.atLeast(13 + d, 0, "after");
    outShape[d] = in[d] + before[d] + after;
    inSize = checkedProduct(a, {inSize, in[d]}, "input");
    outSize = checkedProduct(a, {outSize, outShape[d]}, "output");
  }
  a.input(0, "x", inSize);
  const float value = static_cast<float>(a.n(0));
  Prepared p;
  p.outSizes = {outSize};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& ins, const std::vector<float*>& out) {
    const int r = static_cast<int>(rank);
    std::vector<int64_t> stride(r);
    int64_t s = 1;
    for (int d = r - 1; d >= 0; d--) {
      stride[d] = s;
      s *= in[d];
    }
    const int64_t run = outShape[r - 1];
    const int64_t lines = outSize / run;
    pool.parallelFor(lines, 1 + (1 << 15) / run, [&](int64_t b, int64_t e) {
      for (int64_t l = b; l < e; l++) {
        float* dst = out[0] + l * run;
        int64_t rem = l, off = 0;
        bool inside = true;
        for (int d = r - 2; d >= 0; d--) {
          const int64_t idx = rem % outShape[d] - before[d];
          rem /= outShape[d];
          if (idx < 0 || idx >= in[d]) inside = false;
          off += idx * stride[d];
        }
        if (!inside) {
          for (int64_t i = 0; i < run; i++) dst[i] = value;
          continue;
        }
        const int64_t lo = before[r - 1], n = in[r - 1];
        for (int64_t i = 0; i < lo; i++) dst[i] = value;
        std::memcpy(dst + lo, ins[0] + off, static_cast<size_t>(n) * sizeof(float));
        for (int64_t i = lo + n; i < run; i++) dst[i] = value;
      }
    });
  };
  return p;
}

}  // namespace sn
