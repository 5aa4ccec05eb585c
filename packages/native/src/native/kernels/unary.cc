// Unary: element-wise activations and math functions.
#include <cmath>

#include "../ops.h"

namespace sn {

namespace {
template <typename F>
void apply(const float* x, float* y, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) y[i] = f(x[i]);
}
}  // namespace

/** inputs [x]; encoded [size]; numbers [op, alpha]. */
Prepared prepareUnary(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(1);
  a.input(0, "x", size);
  const UnaryOp op = opCode<UnaryOp>(a, 0, "unary op");
  const float alpha = static_cast<float>(a.n(1));
  Prepared p;
  p.outSizes = {size};
  p.work = size * unaryCost(op);
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    forPieces(pool, size, kElementGrain, 16, [&](int64_t b, int64_t e) {
      const float* x = in[0] + b;
      float* y = out[0] + b;
      const int64_t n = e - b;
      switch (op) {
        case UnaryOp::Relu: apply(x, y, n, [](float v) { return v < 0.f ? 0.f : v; }); break;
        case UnaryOp::LeakyRelu: apply(x, y, n, [alpha](float v) { return v > 0.f ? v : alpha * v; }); break;
        case UnaryOp::Elu: apply(x, y, n, [alpha](float v) { return v > 0.f ? v : alpha * std::expm1(v); }); break;
        case UnaryOp::Sigmoid: apply(x, y, n, [](float v) { return 1.f / (1.f + std::exp(-v)); }); break;
        case UnaryOp::Tanh: apply(x, y, n, [](float v) { return std::tanh(v); }); break;
        case UnaryOp::Exp: apply(x, y, n, [](float v) { return std::exp(v); }); break;
        case UnaryOp::Log: apply(x, y, n, [](float v) { return std::log(v); }); break;
        case UnaryOp::Sqrt: apply(x, y, n, [](float v) { return std::sqrt(v); }); break;
        case UnaryOp::Neg: apply(x, y, n, [](float v) { return -v; }); break;
        case UnaryOp::Square: apply(x, y, n, [](float v) { return v * v; }); break;
        case UnaryOp::Identity: apply(x, y, n, [](float v) { return v; }); break;
        default: break;
      }
    });
  };
  return p;
}

}  // namespace sn
