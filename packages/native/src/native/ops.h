// Reading the operation codes of the generated enums (generated/spec.h, from core's ENUMS).
#pragma once

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

}  // namespace sn
