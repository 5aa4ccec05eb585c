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
    // Double arithmetic: 1 - beta2 rounded to float alone is off by 1e-5 relative.
    const double bc1 = 1.0 - std::pow(beta1, step);
    const double sqrtBc2 = std::sqrt(1.0 - std::pow(beta2, step));
    forRange(pool, size, [&](int64_t b, int64_t e) {
      float *param = in[0], *m = in[2], *v = in[3];
      const float* grad = in[1];
      for (int64_t i = b; i < e; i++) {
        double g = grad[i];
        double pi = param[i];
        if (decoupled) pi -= lr * wd * pi;
        else g += wd * pi;
        const double mi = beta1 * m[i] + (1.0 - beta1) * g;
        const double vi = beta2 * v[i] + (1.0 - beta2) * g * g;
        m[i] = static_cast<float>(mi);
        v[i] = static_cast<float>(vi);
        param[i] = static_cast<float>(pi - (lr / bc1) * mi / (std::sqrt(vi) / sqrtBc2 + eps));
      }
    });
  };
  return p;
}

}  // namespace sn
