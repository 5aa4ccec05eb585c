// AvgPool2D: the runtime ISA's vector kernel (pool/planes.inl: window sums of each output row, rows then
// columns; pool/window3s2.inl for 3-wide windows at stride 2 with one left pad column), multiplied by
// 1 / PyTorch's divisor per output cell, one channel plane per task.
#include "../isa.h"

namespace sn {

/** inputs [x]. */
Prepared prepareAvgPool2D(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.outSize};
  p.work = poolWork(g);
  const KernelSet* ks = &kernelSet(a.isa);
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    const std::vector<float> inv = poolInverseDivisors(g);
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) ks->avgPoolPlane(g, in[0] + pl * g.H * g.W, inv.data(), out[0] + pl * g.OH * g.OW);
    });
  };
  return p;
}

}  // namespace sn
