// Reduce: [outer, reduce, inner] -> [outer, inner]; sums accumulate in double, max propagates NaN.
// A contiguous reduction (inner = 1: a whole-tensor sum, the training step's gradient check) runs on
// independent partial sums in fixed-size chunks, so long rows are shared by the pool and the result
// does not depend on the thread count.
#include <algorithm>
#include <limits>
#include <vector>

#include "../ops.h"

namespace sn {

namespace {
/** Elements of a contiguous row one task reduces (fixed, so the order of additions is too). */
constexpr int64_t kChunk = 1 << 14;

SN_CLONES double sumContiguous(const float* __restrict x, int64_t n) { return sumLanes<double, 8>(x, n); }

/** NaN-propagating maximum (-Infinity for n = 0). */
SN_CLONES float maxContiguous(const float* __restrict x, int64_t n) {
  float acc[8];
  std::fill(acc, acc + 8, -std::numeric_limits<float>::infinity());
  bool nan = false;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; l++) {
      const float v = x[i + l];
      nan |= v != v;
      acc[l] = v > acc[l] ? v : acc[l];
    }
  }
  float m = -std::numeric_limits<float>::infinity();
  for (; i < n; i++) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  for (int l = 0; l < 8; l++) m = acc[l] > m ? acc[l] : m;
  return nan ? std::numeric_limits<float>::quiet_NaN() : m;
}

/** inner = 1: each row of R contiguous floats in chunks of kChunk, partial results combined in order. */
void reduceRows(ThreadPool& pool, ReduceOp op, int64_t outer, int64_t R, const float* x, float* y) {
  const int64_t chunks = (R + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(outer * chunks));
  pool.parallelFor(outer * chunks, 1 + (1 << 15) / std::min(R, kChunk), [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; u++) {
      const int64_t o = u / chunks, r0 = (u % chunks) * kChunk, n = std::min(kChunk, R - r0);
      const float* row = x + o * R + r0;
      partial[u] = op == ReduceOp::Max ? maxContiguous(row, n) : sumContiguous(row, n);
    }
  });
  for (int64_t o = 0; o < outer; o++) {
    const double* p = partial.data() + o * chunks;
    if (op == ReduceOp::Max) {
      double m = p[0];
      for (int64_t c = 1; c < chunks; c++) m = (p[c] > m || p[c] != p[c]) ? p[c] : m;
      y[o] = static_cast<float>(m);
      continue;
    }
    double s = 0;
    for (int64_t c = 0; c < chunks; c++) s += p[c];
    y[o] = static_cast<float>(op == ReduceOp::Mean ? s / static_cast<double>(R) : s);
  }
}

/** inner > 1: whole [R, inner] blocks per task, a row of inner accumulators each. */
void reduceBlocks(ThreadPool& pool, ReduceOp op, int64_t outer, int64_t R, int64_t inner, const float* in, float* out) {
  pool.parallelFor(outer, 1 + (1 << 15) / (R * inner), [&](int64_t b, int64_t e) {
    std::vector<double> acc(static_cast<size_t>(inner));
    for (int64_t o = b; o < e; o++) {
      const float* x = in + o * R * inner;
      float* y = out + o * inner;
      if (op == ReduceOp::Max) {
        for (int64_t i = 0; i < inner; i++) y[i] = -std::numeric_limits<float>::infinity();
        for (int64_t r = 0; r < R; r++) {
          const float* row = x + r * inner;
          for (int64_t i = 0; i < inner; i++) y[i] = (row[i] > y[i] || row[i] != row[i]) ? row[i] : y[i];
        }
        continue;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t r = 0; r < R; r++) {
        const float* row = x + r * inner;
        for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
      }
      const double scale = op == ReduceOp::Mean ? 1.0 / static_cast<double>(R) : 1.0;
      for (int64_t i = 0; i < inner; i++) y[i] = static_cast<float>(acc[i] * scale);
    }
  });
}
}  // namespace

/** inputs [x]; numbers [op]; plan [outer, reduce, inner]. */
Prepared prepareReduce(const Args& a) {
  a.expectEncoded(3);
  const int64_t outer = a.atLeast(0, 1, "outer"), R = a.atLeast(1, 1, "reduce"), inner = a.atLeast(2, 1, "inner");
  a.expectInputs(1);
  const int64_t size = checkedProduct(a, {outer, R, inner}, "x");
  a.input(0, "x", size);
  const ReduceOp op = opCode<ReduceOp>(a, 0, "reduce op");
  Prepared p;
  p.outSizes = {checkedProduct(a, {outer, inner}, "output")};
  p.work = size;
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    if (inner == 1) reduceRows(pool, op, outer, R, in[0], out[0]);
    else reduceBlocks(pool, op, outer, R, inner, in[0], out[0]);
  };
  return p;
}

}  // namespace sn
