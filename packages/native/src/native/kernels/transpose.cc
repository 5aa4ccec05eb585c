// Transpose: out axis d = in axis perm[d]; the innermost output axis is walked with its input stride.
#include "../runtime.h"

namespace sn {

/** inputs [x]; plan [rank, inShape x6, perm x6]. */
Prepared prepareTranspose(const Args& a) {
  a.expectEncoded(13);
  a.expectInputs(1);
  const int64_t rank = a.e(0);
  if (rank < 1 || rank > 6) a.fail("plan rank " + std::to_string(rank) + " is outside 1 to 6");
  std::vector<int64_t> in(rank), perm(rank);
  std::vector<bool> seen(rank, false);
  int64_t size = 1;
  for (int d = 0; d < rank; d++) {
    in[d] = a.atLeast(1 + d, 1, "inShape");
    perm[d] = a.e(7 + d);
    if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]) a.fail("plan perm is not a permutation of 0.." + std::to_string(rank - 1));
    seen[perm[d]] = true;
    size = checkedProduct(a, {size, in[d]}, "input");
  }
  a.input(0, "x", size);
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& ins, const std::vector<float*>& out) {
    const int r = static_cast<int>(rank);
    std::vector<int64_t> inStride(r), outShape(r), srcStride(r);
    int64_t s = 1;
    for (int d = r - 1; d >= 0; d--) {
      inStride[d] = s;
      s *= in[d];
    }
    for (int d = 0; d < r; d++) {
      outShape[d] = in[perm[d]];
      srcStride[d] = inStride[perm[d]];
    }
    const int64_t run = outShape[r - 1], step = srcStride[r - 1];
    const int64_t lines = size / run;
    pool.parallelFor(lines, 1 + (1 << 15) / run, [&](int64_t b, int64_t e) {
      for (int64_t l = b; l < e; l++) {
        int64_t rem = l, off = 0;
        for (int d = r - 2; d >= 0; d--) {
          off += (rem % outShape[d]) * srcStride[d];
          rem /= outShape[d];
        }
        const float* src = ins[0] + off;
        float* dst = out[0] + l * run;
        for (int64_t i = 0; i < run; i++) dst[i] = src[i * step];
      }
    });
  };
  return p;
}

}  // namespace sn
