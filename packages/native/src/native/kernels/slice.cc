// Slice: copies the box begin..begin+size, one contiguous last-axis run at a time.
#include <cstring>

#include "../runtime.h"

namespace sn {

/** inputs [x]; plan [rank, inShape x6, begin x6, outShape x6]. */
Prepared prepareSlice(const Args& a) {
  a.expectEncoded(19);
  a.expectInputs(1);
  const int64_t rank = a.e(0);
  if (rank < 1 || rank > 6) a.fail("plan rank " + std::to_string(rank) + " is outside 1 to 6");
  std::vector<int64_t> in(rank), begin(rank), outShape(rank);
  int64_t inSize = 1, outSize = 1;
  for (int d = 0; d < rank; d++) {
    in[d] = a.atLeast(1 + d, 1, "inShape");
    begin[d] = a.atLeast(7 + d, 0, "begin");
    outShape[d] = a.atLeast(13 + d, 1, "outShape");
    if (begin[d] + outShape[d] > in[d]) a.fail("plan box on axis " + std::to_string(d) + " runs past the input");
    inSize = checkedProduct(a, {inSize, in[d]}, "input");
    outSize = checkedProduct(a, {outSize, outShape[d]}, "output");
  }
  a.input(0, "x", inSize);
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
        int64_t rem = l, off = begin[r - 1];
        for (int d = r - 2; d >= 0; d--) {
          off += (rem % outShape[d] + begin[d]) * stride[d];
          rem /= outShape[d];
        }
        std::memcpy(out[0] + l * run, ins[0] + off, static_cast<size_t>(run) * sizeof(float));
      }
    });
  };
  return p;
}

}  // namespace sn
