// SgdUpdateMany: SgdUpdate's arithmetic on every listed tensor, as one parallel loop over all of
// their values (one call per optimizer step instead of one per parameter).
#include "../optimizer-step.h"
#include "../tensor-list.h"

namespace sn {

/** inputs [params..., grads..., velocities...]; plan [count, total, sizes...]; numbers as SgdUpdate. */
Prepared prepareSgdUpdateMany(const Args& a) {
  const TensorList list = TensorList::read(a, {"params", "grads", "velocities"});
  const SgdStep step = SgdStep::from(a);
  const int64_t n = list.count();
  Prepared p;
  for (int64_t t = 0; t < n; t++) p.writes.push_back(static_cast<int>(t));
  for (int64_t t = 0; t < n; t++) p.writes.push_back(static_cast<int>(2 * n + t));
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>&) {
    list.forEachPiece(pool, kTensorListGrain, [&](int64_t t, int64_t b, int64_t e) { step.run(in[t], in[n + t], in[2 * n + t], b, e); });
  };
  return p;
}

}  // namespace sn
