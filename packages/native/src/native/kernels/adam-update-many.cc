// AdamUpdateMany: AdamUpdate's arithmetic on every listed tensor, as one parallel loop over all of
// their values (one call per optimizer step instead of one per parameter).
#include "../optimizer-step.h"
#include "../tensor-list.h"

namespace sn {

/** inputs [params..., grads..., ms..., vs...]; plan [count, total, sizes...]; numbers as AdamUpdate. */
Prepared prepareAdamUpdateMany(const Args& a) {
  const TensorList list = TensorList::read(a, {"params", "grads", "ms", "vs"});
  const AdamStep step = AdamStep::from(a);
  const int64_t n = list.count();
  Prepared p;
  for (int64_t t = 0; t < n; t++) {
    for (int64_t l : {0, 2, 3}) p.writes.push_back(static_cast<int>(l * n + t));
  }
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>&) {
    list.forEachPiece(pool, kTensorListGrain, [&](int64_t t, int64_t b, int64_t e) {
      step.run(in[t], in[n + t], in[2 * n + t], in[3 * n + t], b, e);
    });
  };
  return p;
}

}  // namespace sn
