// The element loops of the optimizer updates, shared by the per-tensor kernels (SgdUpdate,
// AdamUpdate) and the multi-tensor ones (SgdUpdateMany, AdamUpdateMany) so both round identically.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "runtime.h"

namespace sn {

/** SGD settings: numbers [lr, momentum, nesterov, weightDecay] of both SGD kernels. */
struct SgdStep {
  float lr, momentum, wd;
  bool nesterov;

  static SgdStep from(const Args& a) {
    return {static_cast<float>(a.n(0)), static_cast<float>(a.n(1)), static_cast<float>(a.n(3)), a.n(2) != 0};
  }

  /** In place on [b, e): d = g + wd p; v = momentum v + d; p -= lr (nesterov ? d + momentum v : v). */
  void run(float* param, const float* g, float* v, int64_t b, int64_t e) const {
    for (int64_t i = b; i < e; i++) {
      const float d = g[i] + wd * param[i];
      const float vel = momentum * v[i] + d;
      v[i] = vel;
      param[i] -= lr * (nesterov ? d + momentum * vel : vel);
    }
  }
};

/** Adam settings: numbers [lr, beta1, beta2, epsilon, weightDecay, decoupled, step] of both Adam kernels. */
struct AdamStep {
  double lr, beta1, beta2, eps, wd;
  bool decoupled;
  // Bias corrections in double: 1 - beta2 rounded to float alone is off by 1e-5 relative.
  double bc1, sqrtBc2;

  static AdamStep from(const Args& a) {
    const double step = a.n(6);
    if (!(step >= 1)) a.fail("step " + std::to_string(step) + " must be >= 1");
    const double beta1 = a.n(1), beta2 = a.n(2);
    return {a.n(0), beta1, beta2, a.n(3), a.n(4), a.n(5) != 0, 1.0 - std::pow(beta1, step), std::sqrt(1.0 - std::pow(beta2, step))};
  }

  /** In place on [b, e), in double with one rounding per stored value. */
  void run(float* param, const float* grad, float* m, float* v, int64_t b, int64_t e) const {
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
  }
};

}  // namespace sn
