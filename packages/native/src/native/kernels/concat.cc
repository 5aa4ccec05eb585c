// Concat: [outer, sum(blocks)] from inputs seen as [outer, block_i]; plain block copies.
#include <cstring>

#include "../runtime.h"

namespace sn {

/** inputs xs; plan [outer, count, blockSizes...]. */
Prepared prepareConcat(const Args& a) {
  a.expectEncoded(2);
  const int64_t outer = a.atLeast(0, 1, "outer"), count = a.atLeast(1, 1, "count");
  a.expectEncoded(static_cast<size_t>(2 + count));
  a.expectInputs(static_cast<size_t>(count));
  std::vector<int64_t> blocks;
  int64_t total = 0;
  for (int64_t i = 0; i < count; i++) {
    blocks.push_back(a.atLeast(static_cast<size_t>(2 + i), 1, "blockSizes"));
    const std::string name = "xs[" + std::to_string(i) + "]";
    a.input(static_cast<size_t>(i), name.c_str(), checkedProduct(a, {outer, blocks.back()}, "input"));
    total += blocks.back();
  }
  Prepared p;
  p.outSizes = {checkedProduct(a, {outer, total}, "output")};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(outer, 1 + (1 << 15) / total, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; o++) {
        float* dst = out[0] + o * total;
        for (size_t i = 0; i < blocks.size(); i++) {
          std::memcpy(dst, in[i] + o * blocks[i], static_cast<size_t>(blocks[i]) * sizeof(float));
          dst += blocks[i];
        }
      }
    });
  };
  return p;
}

}  // namespace sn
