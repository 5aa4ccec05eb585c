// Expand: x repeated along broadcast axes. Each output row (last axis) either copies a contiguous run
// of x (stride 1) or repeats one value (stride 0), so both are plain memcpy / fill loops.
#include <algorithm>
#include <cstring>

#include "../runtime.h"

namespace sn {

/** inputs [x]; plan EXPAND_ENCODING [rank, size, outShape x6, inStrides x6]. */
Prepared prepareExpand(const Args& a) {
  a.expectEncoded(14);
  a.expectInputs(1);
  const int64_t rank = a.e(0);
  if (rank < 1 || rank > 6) a.fail("plan rank " + std::to_string(rank) + " is outside 1 to 6");
  std::vector<int64_t> shape(rank), strides(rank);
  int64_t size = 1, lastRead = 0;
  for (int d = 0; d < rank; d++) {
    shape[d] = a.atLeast(2 + d, 1, "outShape");
    strides[d] = a.atLeast(8 + d, 0, "inStrides");
    size = checkedProduct(a, {size, shape[d]}, "output");
    lastRead += (shape[d] - 1) * strides[d];
  }
  if (a.e(1) != size) a.fail("plan size " + std::to_string(a.e(1)) + " does not match its shape (" + std::to_string(size) + ")");
  if (strides[rank - 1] > 1) a.fail("plan's last-axis input stride " + std::to_string(strides[rank - 1]) + " is not 0 or 1");
  // Every read must land inside x.
  if (!a.has(0)) a.fail("input 'x' is required");
  if (static_cast<int64_t>(a.in[0]->size) <= lastRead) {
    a.fail("input 'x' holds " + std::to_string(a.in[0]->size) + " floats but the plan reads index " + std::to_string(lastRead));
  }
  Prepared p;
  p.outSizes = {size};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const int last = static_cast<int>(rank) - 1;
    const int64_t run = shape[last];
    const bool repeat = strides[last] == 0;
    pool.parallelFor(size / run, 1 + (1 << 15) / run, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; r++) {
        int64_t rem = r, src = 0;
        for (int d = last - 1; d >= 0; d--) {
          src += (rem % shape[d]) * strides[d];
          rem /= shape[d];
        }
        float* dst = out[0] + r * run;
        if (repeat) std::fill(dst, dst + run, in[0][src]);
        else std::memcpy(dst, in[0] + src, static_cast<size_t>(run) * sizeof(float));
      }
    });
  };
  return p;
}

}  // namespace sn
