// AdamUpdate (in place): Adam (g += wd * p) or AdamW (p -= lr * wd * p), bias-corrected moments.
#include "../ops.h"
#include "../optimizer-step.h"

namespace sn {

/** inputs [param, grad, m, v]; encoded [size]; numbers [lr, beta1, beta2, epsilon, weightDecay, decoupled, step]. */
Prepared prepareAdamUpdate(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(4);
  a.input(0, "param", size);
  a.input(1, "grad", size);
  a.input(2, "m", size);
  a.input(3, "v", size);
  const AdamStep step = AdamStep::from(a);
  Prepared p;
  p.writes = {0, 2, 3};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>&) {
    forPieces(pool, size, kElementGrain, 16, [&](int64_t b, int64_t e) { step.run(in[0], in[1], in[2], in[3], b, e); });
  };
  return p;
}

}  // namespace sn
