// The tensorList plan of the multi-tensor kernels ([count, total, sizes...]) and one parallel loop
// over the flattened elements of every listed tensor, split across threads regardless of where one
// tensor ends and the next begins.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ops.h"
#include "runtime.h"

namespace sn {

struct TensorList {
  /** starts[t] is the flat index of tensor t's first value; starts.back() is the total. */
  std::vector<int64_t> starts;

  int64_t count() const { return static_cast<int64_t>(starts.size()) - 1; }
  int64_t total() const { return starts.back(); }
  int64_t size(int64_t t) const { return starts[t + 1] - starts[t]; }

  /**
   * Reads and checks the plan, and that the inputs are `lists` lists of count() tensors each
   * (`names[l]` in errors), tensor t of every list holding sizes[t] floats.
   */
  static TensorList read(const Args& a, const std::vector<const char*>& names) {
    a.expectEncoded(2);
    const int64_t count = a.atLeast(0, 1, "count"), total = a.atLeast(1, 1, "total");
    a.expectEncoded(static_cast<size_t>(2 + count));
    a.expectInputs(static_cast<size_t>(count) * names.size());
    TensorList list;
    list.starts.push_back(0);
    for (int64_t t = 0; t < count; t++) {
      const int64_t size = a.atLeast(static_cast<size_t>(2 + t), 1, "sizes");
      list.starts.push_back(list.starts.back() + size);
      for (size_t l = 0; l < names.size(); l++) {
        const std::string name = std::string(names[l]) + "[" + std::to_string(t) + "]";
        a.input(l * static_cast<size_t>(count) + static_cast<size_t>(t), name.c_str(), size);
      }
    }
    if (list.total() != total) a.fail("total " + std::to_string(total) + " but the sizes add up to " + std::to_string(list.total()));
    return list;
  }

  /**
   * Calls fn(t, b, e) for the pieces [b, e) (offsets inside tensor t) of the flat range, spread over
   * the pool in chunks of about `grain` values claimed as threads come free (forPieces).
   */
  void forEachPiece(ThreadPool& pool, int64_t grain, const std::function<void(int64_t, int64_t, int64_t)>& fn) const {
    forPieces(pool, total(), grain, 16, [&](int64_t b, int64_t e) {
      int64_t t = std::upper_bound(starts.begin(), starts.end(), b) - starts.begin() - 1;
      for (int64_t at = b; at < e; t++) {
        const int64_t end = std::min(e, starts[t + 1]);
        fn(t, at - starts[t], end - starts[t]);
        at = end;
      }
    });
  }
};

/** Values per piece of the multi-tensor kernels: memory-bound loops, worth splitting above ~64 KiB of traffic. */
constexpr int64_t kTensorListGrain = 1 << 14;

}  // namespace sn
