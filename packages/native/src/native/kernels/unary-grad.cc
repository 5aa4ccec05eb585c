// UnaryGrad: dx = dy * op'(x), using y = op(x) where the derivative is cheaper from it.
#include "../ops.h"

namespace sn {

namespace {
template <typename F>
void apply(const float* dy, const float* x, const float* y, float* dx, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) dx[i] = f(dy[i], x[i], y[i]);
}
}  // namespace

/** inputs [dy, x, y]; encoded [size]; numbers [op, alpha]. */
Prepared prepareUnaryGrad(const Args& a) {
  const int64_t size = flatSize(a);
  a.expectInputs(3);
  a.input(0, "dy", size);
  a.input(1, "x", size);
  a.input(2, "y", size);
  const UnaryOp op = opCode<UnaryOp>(a, 0, "unary op");
  const float alpha = static_cast<float>(a.n(1));
  Prepared p;
  p.outSizes = {size};
  p.work = size;
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    forPieces(pool, size, kElementGrain, 16, [&](int64_t b, int64_t e) {
      const float *dy = in[0] + b, *x = in[1] + b, *y = in[2] + b;
      float* dx = out[0] + b;
      const int64_t n = e - b;
      switch (op) {
        case UnaryOp::Relu: apply(dy, x, y, dx, n, [](float g, float v, float) { return v > 0.f ? g : 0.f; }); break;
        case UnaryOp::LeakyRelu:
          apply(dy, x, y, dx, n, [alpha](float g, float v, float) { return v > 0.f ? g : g * alpha; });
          break;
        case UnaryOp::Elu:
          apply(dy, x, y, dx, n, [alpha](float g, float v, float o) { return v > 0.f ? g : g * (o + alpha); });
          break;
        case UnaryOp::Sigmoid: apply(dy, x, y, dx, n, [](float g, float, float o) { return g * o * (1.f - o); }); break;
        case UnaryOp::Tanh: apply(dy, x, y, dx, n, [](float g, float, float o) { return g * (1.f - o * o); }); break;
        case UnaryOp::Exp: apply(dy, x, y, dx, n, [](float g, float, float o) { return g * o; }); break;
        case UnaryOp::Log: apply(dy, x, y, dx, n, [](float g, float v, float) { return g / v; }); break;
        case UnaryOp::Sqrt: apply(dy, x, y, dx, n, [](float g, float, float o) { return g * 0.5f / o; }); break;
        case UnaryOp::Neg: apply(dy, x, y, dx, n, [](float g, float, float) { return -g; }); break;
        case UnaryOp::Square: apply(dy, x, y, dx, n, [](float g, float v, float) { return g * 2.f * v; }); break;
        case UnaryOp::Identity: apply(dy, x, y, dx, n, [](float g, float, float) { return g; }); break;
        default: break;
      }
    });
  };
  return p;
}

}  // namespace sn
