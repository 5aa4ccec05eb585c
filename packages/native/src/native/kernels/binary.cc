// Binary: NumPy-broadcast element-wise ops. Axes are first collapsed (unit axes dropped, axes both
// operands walk contiguously merged), then the last axis runs as a tight loop with stride 0 or 1 on
// each side so the common cases (same shape, scalar, row or channel broadcast) vectorise, long lines
// split in chunks so the thread pool shares them.
#include <algorithm>
#include <cmath>

#include "../ops.h"

namespace sn {

namespace {
template <typename F>
void line(float* o, const float* x, int64_t sx, const float* y, int64_t sy, int64_t n, F f) {
  if (sx == 1 && sy == 1) {
    for (int64_t i = 0; i < n; i++) o[i] = f(x[i], y[i]);
  } else if (sx == 1 && sy == 0) {
    const float v = *y;
    for (int64_t i = 0; i < n; i++) o[i] = f(x[i], v);
  } else if (sx == 0 && sy == 1) {
    const float v = *x;
    for (int64_t i = 0; i < n; i++) o[i] = f(v, y[i]);
  } else {
    for (int64_t i = 0; i < n; i++) o[i] = f(x[i * sx], y[i * sy]);
  }
}

/** The longest stretch of a line one task takes (long lines are split so every thread gets work). */
constexpr int64_t kChunk = 1 << 14;

template <typename F>
void broadcast(ThreadPool& pool, int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, int64_t size, const float* a,
               const float* b, float* out, F f) {
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int64_t inner = shape[rank - 1];
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  const int64_t units = size / inner * chunks;
  forPieces(pool, units, 1 + kElementGrain / std::min(inner, kChunk), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) {
      const int64_t l = u / chunks, i0 = (u % chunks) * kChunk, n = std::min(kChunk, inner - i0);
      int64_t rem = l, oa = 0, ob = 0;
      for (int d = rank - 2; d >= 0; d--) {
        const int64_t idx = rem % shape[d];
        rem /= shape[d];
        oa += idx * sa[d];
        ob += idx * sb[d];
      }
      const int64_t xa = sa[rank - 1], xb = sb[rank - 1];
      line(out + l * inner + i0, a + oa + i0 * xa, xa, b + ob + i0 * xb, xb, n, f);
    }
  });
}

/**
 * Drops unit axes and merges each axis into the next where both operands walk them as one (stride of
 * the outer = stride x extent of the inner): same-shape operands become one line, a per-channel
 * [1,C,1,1] operand of [N,C,H,W] becomes [N,C,H*W]. Fewer, longer lines: no index arithmetic per 32 floats.
 */
int collapse(int rank, int64_t* shape, int64_t* sa, int64_t* sb) {
  int r = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (r > 0 && sa[r - 1] == sa[d] * shape[d] && sb[r - 1] == sb[d] * shape[d]) {
      shape[r - 1] *= shape[d];
      sa[r - 1] = sa[d];
      sb[r - 1] = sb[d];
      continue;
    }
    shape[r] = shape[d];
    sa[r] = sa[d];
    sb[r] = sb[d];
    r++;
  }
  if (r == 0 && rank > 0) {
    shape[0] = 1;
    sa[0] = sb[0] = 0;
    r = 1;
  }
  return r;
}
}  // namespace

/** inputs [a, b]; numbers [op]; plan BROADCAST_ENCODING [rank, size, outShape x6, aStrides x6, bStrides x6]. */
Prepared prepareBinary(const Args& a) {
  a.expectEncoded(20);
  a.expectInputs(2);
  const BinaryOp op = opCode<BinaryOp>(a, 0, "binary op");
  const int64_t rank = a.e(0);
  if (rank < 0 || rank > 6) a.fail("plan rank " + std::to_string(rank) + " is outside 0 to 6");
  int64_t shape[6], sa[6], sb[6];
  int64_t size = 1, lastA = 0, lastB = 0;
  for (int d = 0; d < rank; d++) {
    shape[d] = a.atLeast(2 + d, 1, "outShape");
    sa[d] = a.atLeast(8 + d, 0, "aStrides");
    sb[d] = a.atLeast(14 + d, 0, "bStrides");
    size = checkedProduct(a, {size, shape[d]}, "output");
    lastA += (shape[d] - 1) * sa[d];
    lastB += (shape[d] - 1) * sb[d];
  }
  if (a.e(1) != size) a.fail("plan size " + std::to_string(a.e(1)) + " does not match its shape (" + std::to_string(size) + ")");
  // Every read must land inside a and b.
  if (!a.in[0] || !a.in[1]) a.fail("inputs 'a' and 'b' are required");
  if (static_cast<int64_t>(a.in[0]->size) <= lastA) {
    a.fail("input 'a' holds " + std::to_string(a.in[0]->size) + " floats but the plan reads index " + std::to_string(lastA));
  }
  if (static_cast<int64_t>(a.in[1]->size) <= lastB) {
    a.fail("input 'b' holds " + std::to_string(a.in[1]->size) + " floats but the plan reads index " + std::to_string(lastB));
  }
  Prepared p;
  p.outSizes = {size};
  p.work = size;
  const int r = collapse(static_cast<int>(rank), shape, sa, sb);
  std::vector<int64_t> sh(shape, shape + r), va(sa, sa + r), vb(sb, sb + r);
  p.body = [=](ThreadPool& pool, const std::vector<float*>& in, const std::vector<float*>& out) {
    auto go = [&](auto f) { broadcast(pool, r, sh.data(), va.data(), vb.data(), size, in[0], in[1], out[0], f); };
    switch (op) {
      case BinaryOp::Add: go([](float x, float y) { return x + y; }); break;
      case BinaryOp::Sub: go([](float x, float y) { return x - y; }); break;
      case BinaryOp::Mul: go([](float x, float y) { return x * y; }); break;
      case BinaryOp::Div: go([](float x, float y) { return x / y; }); break;
      // NaN-propagating, as Math.max / torch.maximum.
      case BinaryOp::Max: go([](float x, float y) { return (x != x || y != y) ? x + y : (x > y ? x : y); }); break;
      case BinaryOp::Min: go([](float x, float y) { return (x != x || y != y) ? x + y : (x < y ? x : y); }); break;
      case BinaryOp::Equal: go([](float x, float y) { return x == y ? 1.f : 0.f; }); break;
      default: break;
    }
  };
  return p;
}

}  // namespace sn
