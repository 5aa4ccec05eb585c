// MaxPool2DArgmax: max pooling that also writes each window's selected tap, kh * WW + kw in the unclipped window
// (its last NaN, else its first maximum in row-major tap order: MaxPool2DGrad's rule), as float: the runtime ISA's
// pool/argmax.inl, one channel plane per task.

#include "../isa.h"

namespace sn {

/** inputs [x]; outputs [y, argmax]. */
Prepared prepareMaxPool2DArgmax(const Args& a) {
  PoolGeom g = readPoolPlan(a);
  a.expectInputs(1);
  a.input(0, "x", g.inSize);
  Prepared p;
  p.outSizes = {g.outSize, g.outSize};
  p.work = poolWork(g) + g.outSize;
  const KernelSet* ks = &kernelSet(a.isa);
  p.body = [g, ks](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    pool.parallelFor(g.planes, 1 + (1 << 14) / (g.OH * g.OW * g.WH * g.WW), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        ks->maxPoolArgmaxPlane(g, in[0] + pl * g.H * g.W, out[0] + pl * g.OH * g.OW, out[1] + pl * g.OH * g.OW);
      }
    });
  };
  return p;
}

}  // namespace sn
