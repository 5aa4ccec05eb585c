// Reading the operation codes of the generated enums (generated/spec.h, from core's ENUMS).
#pragma once

#include <algorithm>
#include <string>

#include "generated/spec.h"
#include "runtime.h"

namespace sn {

/** Reads an op code attribute and checks its range. */
template <typename E>
E opCode(const Args& a, size_t i, const char* what) {
  const double v = a.n(i);
  if (!(v >= 0 && v < static_cast<int>(E::Count)) || v != static_cast<int>(v)) {
    a.fail(std::string(what) + " code " + std::to_string(v) + " is not one this addon knows (0 to " +
           std::to_string(static_cast<int>(E::Count) - 1) + ")");
  }
  return static_cast<E>(static_cast<int>(v));
}

/** Size attribute passed as encoded[0] by element-wise kernels without a plan. */
inline int64_t flatSize(const Args& a) {
  a.expectEncoded(1);
  return a.atLeast(0, 0, "size");
}

/**
 * Sum of n floats in `Lanes` independent partial sums of type Acc (one accumulator is a dependency chain
 * of 4 cycles an add), the tail and then the lanes added in order. Always inlined, so that a SN_CLONES
 * caller gets it vectorised for each of its targets.
 */
template <typename Acc, int Lanes>
__attribute__((always_inline)) inline Acc sumLanes(const float* __restrict v, int64_t n) {
  Acc acc[Lanes] = {};
  int64_t i = 0;
  for (; i + Lanes <= n; i += Lanes)
    for (int l = 0; l < Lanes; l++) acc[l] += v[i + l];
  Acc s = 0;
  for (; i < n; i++) s += v[i];
  for (int l = 0; l < Lanes; l++) s += acc[l];
  return s;
}

/**
 * fn(b, e) over [0, n) in pieces of about `grain` items (a multiple of `align` items), at most 4 per thread, each
 * claimed by whichever thread comes free: a thread that starts late (the machine's other jobs, a vCPU the
 * host took away) leaves its pieces to the others instead of holding up the call, as one fixed range per
 * thread (parallelFor) would. One thread, or one piece, runs fn(0, n) directly.
 */
inline void forPieces(ThreadPool& pool, int64_t n, int64_t grain, int64_t align, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t threads = pool.size();
  const int64_t pieces = std::min<int64_t>((n + grain - 1) / std::max<int64_t>(1, grain), 4 * threads);
  if (threads == 1 || pieces <= 1) {
    fn(0, n);
    return;
  }
  const int64_t step = ((n + pieces - 1) / pieces + align - 1) / align * align;
  pool.run((n + step - 1) / step, [&](int64_t t) { fn(t * step, std::min(n, (t + 1) * step)); });
}

/** Floats per piece of the element-wise kernels (forPieces): 128 KiB per operand, a few microseconds of work. */
constexpr int64_t kElementGrain = 1 << 15;

/** Rough cost of one element of a unary op, in simple float operations (for Prepared::work). */
inline int64_t unaryCost(UnaryOp op) {
  switch (op) {
    case UnaryOp::Elu:
    case UnaryOp::Sigmoid:
    case UnaryOp::Tanh:
    case UnaryOp::Exp:
    case UnaryOp::Log: return 16;
    case UnaryOp::Sqrt: return 4;
    default: return 1;
  }
}

}  // namespace sn
