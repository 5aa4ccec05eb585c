// Shared by BatchNormTrain and BatchNormGrad: the walk over one channel's elements of an
// [outer, channels, inner] tensor in blocks of at most kBnBlock floats (16 KiB: a block's second sweep
// reads L1), handed to the ISA block kernels (kernels/batch-norm.inl).
#pragma once

#include <algorithm>
#include <cstdint>

namespace sn {

constexpr int64_t kBnBlock = 4096;

/** fn(offset, n) for every block of channel c, offsets into the flat tensor, in order. */
template <typename F>
inline void forEachBnBlock(int64_t outer, int64_t C, int64_t inner, int64_t c, F fn) {
  for (int64_t o = 0; o < outer; o++) {
    const int64_t base = (o * C + c) * inner;
    for (int64_t i = 0; i < inner; i += kBnBlock) fn(base + i, std::min(kBnBlock, inner - i));
  }
}

/** Channels per parallelFor task: about 2^15 elements of work each. */
inline int64_t bnGrain(int64_t outer, int64_t inner) { return 1 + (int64_t{1} << 15) / (outer * inner); }

}  // namespace sn
