// Operation codes shared with src/op-codes.ts (same order as the unions in core's spec.ts).
#pragma once

#include <string>

#include "runtime.h"

namespace sn {

enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Max, Min, Equal, Count };
enum class UnaryOp : int { Relu = 0, LeakyRelu, Elu, Sigmoid, Tanh, Exp, Log, Sqrt, Neg, Square, Identity, Count };
enum class ReduceOp : int { Sum = 0, Mean, Max, Count };

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

}  // namespace sn
