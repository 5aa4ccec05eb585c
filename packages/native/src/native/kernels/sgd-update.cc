// SgdUpdate (in place, PyTorch semantics): d = g + wd * p; v = momentum * v + d;
// step = nesterov ? d + momentum * v : v; p -= lr * step.
#include "../ops.h"

namespace sn {

/** inputs [param, grad, velocity]; encoded [size]; numbers [lr, momentum, nesterov, weightDecay]. */
Prepared prepareSgdUpdate(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(3);
  a.input(0, "param", size);
  a.input(1, "grad", size);
  a.input(2, "velocity", size);
  const float lr = static_cast<float>(a.n(0)), momentum = static_cast<float>(a.n(1));
  const bool nesterov = a.n(2) != 0;
  const float wd = static_cast<float>(a.n(3));
  Prepared p;
  p.writes = {0, 2};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>&) {
    forRange(pool, size, [&](int64_t b, int64_t e) {
      float *param = in[0], *v = in[2];
      const float* g = in[1];
      for (int64_t i = b; i < e; i++) {
        const float d = g[i] + wd * param[i];
        const float vel = momentum * v[i] + d;
        v[i] = vel;
        param[i] -= lr * (nesterov ? d + momentum * vel : vel);
      }
    });
  };
  return p;
}

}  // namespace sn
