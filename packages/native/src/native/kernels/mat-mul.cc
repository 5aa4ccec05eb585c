// MatMul: packed GEMM over strided views of A and B (transposes become strides), bias and relu fused; products of
// 1-8 rows whose B columns are contiguous in k (dense layers at batch 1-8) as dot products instead (or, B constant or
// under noGrad, outputs in the lanes against B packed once), and of 1-2 rows whose B rows are contiguous along N (their
// input gradients) by broadcasts (gemmFewRowsFits, gemm.h).
#include "../conv-common.h"
#include "../gemm.h"
#include "../isa.h"

namespace sn {

/**
 * inputs [a, b, bias?]; numbers [relu 0|1, noGrad 0|1?]; plan [m, n, k, transposeA, transposeB]. noGrad: no gradient
 * is recorded through the call, so b (a dense layer's weights, transposeB) may be packed once and cached as constant
 * buffers are; the cache follows its writes.
 */
Prepared prepareMatMul(const Args& a) {
  a.expectEncoded(5);
  const int64_t M = a.atLeast(0, 1, "m"), N = a.atLeast(1, 1, "n"), K = a.atLeast(2, 1, "k");
  const bool tA = a.e(3) != 0, tB = a.e(4) != 0;
  if (a.in.size() != 2 && a.in.size() != 3) a.fail("expected inputs [a, b, bias?], got " + std::to_string(a.in.size()));
  a.input(0, "a", checkedProduct(a, {M, K}, "a"));
  a.input(1, "b", checkedProduct(a, {K, N}, "b"));
  const bool hasBias = a.has(2);
  if (hasBias) a.input(2, "bias", N);
  const bool relu = a.n(0) != 0;
  const int64_t outSize = checkedProduct(a, {M, N}, "output");
  const Isa isa = a.isa;
  FilterKey key = filterKey(a, 1);
  if (a.num.size() > 1 && a.n(1) != 0) key.constant = true;
  Prepared p;
  p.outSizes = {outSize};
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    Gemm g;
    g.M = M;
    g.N = N;
    g.K = K;
    g.A = in[0];
    g.rsA = tA ? 1 : K;
    g.csA = tA ? M : 1;
    g.B = in[1];
    g.rsB = tB ? 1 : N;
    g.csB = tB ? K : 1;
    g.C = out[0];
    g.ldc = N;
    g.biasCol = hasBias ? in[2] : nullptr;
    g.relu = relu;
    g.isa = isa;
    // Small products are not worth waking the pool for.
    ThreadPool* runner = M * N * K >= (1 << 15) ? &pool : nullptr;
    if (gemmFewRowsFits(g)) {
      const FilterRef b = key.ref(in[1]);
      kernelSet(isa).gemmFewRows(g, key.constant && tB ? &b : nullptr, runner);
    } else {
      gemm(g, runner);
    }
  };
  return p;
}

}  // namespace sn
