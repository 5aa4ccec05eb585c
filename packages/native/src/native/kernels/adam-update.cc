// AdamUpdate (in place): Adam (g += wd * p) or AdamW (p -= lr * wd * p), bias-corrected moments.
#include <cmath>

#include "../ops.h"

namespace sn {

/** inputs [param, grad, m, v]; encoded [size]; numbers [lr, beta1, beta2, epsilon, weightDecay, decoupled, step]. */
Prepared prepareAdamUpdate(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(4);
  a.input(0, "param", size);
  a.input(1, "grad", size);
  a.input(2, "m", size);
  a.input(3, "v", size);
  const double lr = a.n(0), beta1 = a.n(1), beta2 = a.n(2), eps = a.n(3), wd = a.n(4);
  const bool decoupled = a.n(5) != 0;
  const double step = a.n(6);
  if (!(step >= 1)) a.fail("step " + std::to_string(step) + " must be >= 1");
  Prepared p;
  p.writes = {0, 2, 3};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>&) {
    const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
    const float bc1 = static_cast<float>(1.0 - std::pow(beta1, step));
    const float sqrtBc2 = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, step)));
    const float flr = static_cast<float>(lr), fwd = static_cast<float>(wd), feps = static_cast<float>(eps);
    forRange(pool, size, [&](int64_t b, int64_t e) {
      float *param = in[0], *m = in[2], *v = in[3];
      const float* grad = in[1];
      for (int64_t i = b; i < e; i++) {
        float g = grad[i];
        if (decoupled) param[i] -= flr * fwd * param[i];
        else g += fwd * param[i];
        m[i] = b1 * m[i] + (1.f - b1) * g;
        v[i] = b2 * v[i] + (1.f - b2) * g * g;
        param[i] -= (flr / bc1) * m[i] / (std::sqrt(v[i]) / sqrtBc2 + feps);
      }
    });
  };
  return p;
}

}  // namespace sn
