// AvgPool2DGrad: spreads dy / divisor over each window's cells inside the input, by the runtime ISA's vector
// kernel (pool/avg-grad.inl: each output row spread along the row, then added to the window's rows), one
// channel plane per task.
#include "../isa.h"

namespace sn {

/** inputs [dy]. */
Prepared prepareAvgPool2DGrad(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "dy", g.outSize);
  Prepared p;
  p.outSizes = {g.inSize};
  p.work = poolWork(g);
  const KernelSet* ks = &kernelSet(a.isa);
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const std::vector<float> inv = poolInverseDivisors(g);
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) ks->avgPoolGradPlane(g, in[0] + pl * g.OH * g.OW, inv.data(), out[0] + pl * g.H * g.W);
    });
  };
  return p;
}

}  // namespace sn
