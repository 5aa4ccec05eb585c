// Uniform noise drawn on the backend: core's Philox4x32-10 stream (packages/core/src/random/philox.ts), bit for bit.
#pragma once

#include <cstdint>

#include "runtime.h"

namespace sn {

/** Where a draw starts: core's RngState (key, counter). */
struct PhiloxState {
  uint32_t key[2];
  uint32_t counter[4];
};

/**
 * out[0 .. n) = Rng.fromState(state).uniform(n): block i (4 values) is Philox4x32-10 of the counter
 * advanced i times as Rng advances it (word 0 carries into 1, 1 into 2, word 3 fixed), each value its
 * uint32's top 24 bits times 2^-24; the last block's unused values are dropped.
 */
void philoxUniform(ThreadPool& pool, const PhiloxState& state, float* out, int64_t n);

}  // namespace sn
