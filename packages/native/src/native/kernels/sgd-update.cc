// SgdUpdate (in place, PyTorch semantics): d = g + wd * p; v = momentum * v + d;
// step = nesterov ? d + momentum * v : v; p -= lr * step.
#include "../ops.h"
#include "../optimizer-step.h"

namespace sn {

/** inputs [param, grad, velocity]; encoded [size]; numbers [lr, momentum, nesterov, weightDecay]. */
Prepared prepareSgdUpdate(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(3);
  a.input(0, "param", size);
  a.input(1, "grad", size);
  a.input(2, "velocity", size);
  const SgdStep step = SgdStep::from(a);
  Prepared p;
  p.writes = {0, 2};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>&) {
    forPieces(pool, size, kElementGrain, 16, [&](int64_t b, int64_t e) { step.run(in[0], in[1], in[2], b, e); });
  };
  return p;
}

}  // namespace sn
