// Philox4x32-10 (Salmon et al. 2011) as core's Rng runs it, in lanes of blocks so the compiler vectorises it.
#include "random.h"

#include <algorithm>

#include "ops.h"

namespace sn {

namespace {
constexpr uint32_t kM0 = 0xd2511f53u;
constexpr uint32_t kM1 = 0xcd9e8d57u;
constexpr uint32_t kW0 = 0x9e3779b9u;
constexpr uint32_t kW1 = 0xbb67ae85u;
/** Blocks a lane group: 16 32-bit counters fill two AVX2 registers a word (the multiplies take 4 lanes). */
constexpr int kLanes = 16;

/** Blocks [b, e) of the stream into out (which holds the draw's n values). */
SN_CLONES void philoxBlocks(const PhiloxState& s, float* __restrict out, int64_t n, int64_t b, int64_t e) {
  for (int64_t g = b; g < e; g += kLanes) {
    const int lanes = static_cast<int>(std::min<int64_t>(kLanes, e - g));
    uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
    for (int l = 0; l < kLanes; l++) {
      // The counter advanced g + l times: a 96-bit add over words 0-2 (word 3 never changes).
      const uint64_t w0 = static_cast<uint64_t>(s.counter[0]) + static_cast<uint64_t>(g + l);
      const uint64_t w1 = static_cast<uint64_t>(s.counter[1]) + (w0 >> 32);
      c0[l] = static_cast<uint32_t>(w0);
      c1[l] = static_cast<uint32_t>(w1);
      c2[l] = s.counter[2] + static_cast<uint32_t>(w1 >> 32);
      c3[l] = s.counter[3];
    }
    uint32_t k0 = s.key[0], k1 = s.key[1];
    for (int r = 0; r < 10; r++) {
      for (int l = 0; l < kLanes; l++) {
        const uint64_t p0 = static_cast<uint64_t>(kM0) * c0[l];
        const uint64_t p1 = static_cast<uint64_t>(kM1) * c2[l];
        const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
        const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
        c1[l] = static_cast<uint32_t>(p1);
        c3[l] = static_cast<uint32_t>(p0);
        c0[l] = n0;
        c2[l] = n2;
      }
      k0 += kW0;
      k1 += kW1;
    }
    constexpr float kScale = 1.f / 16777216.f;
    float* o = out + g * 4;
    if (lanes == kLanes && (g + kLanes) * 4 <= n) {
      for (int l = 0; l < kLanes; l++) {
        o[4 * l + 0] = static_cast<float>(c0[l] >> 8) * kScale;
        o[4 * l + 1] = static_cast<float>(c1[l] >> 8) * kScale;
        o[4 * l + 2] = static_cast<float>(c2[l] >> 8) * kScale;
        o[4 * l + 3] = static_cast<float>(c3[l] >> 8) * kScale;
      }
    } else {
      const uint32_t* words[4] = {c0, c1, c2, c3};
      for (int l = 0; l < lanes; l++)
        for (int j = 0; j < 4 && (g + l) * 4 + j < n; j++) o[4 * l + j] = static_cast<float>(words[j][l] >> 8) * kScale;
    }
  }
}
}  // namespace

void philoxUniform(ThreadPool& pool, const PhiloxState& state, float* out, int64_t n) {
  const int64_t blocks = (n + 3) / 4;
  // Zen 5, 1 thread, load 12-20: 786,432 values (All-CNN-C's 96-channel dropout at batch 32) took 1.24-1.32 ms of
  // CPU, 14 cycles a block (core's Rng.uniform in JavaScript: 28-38 ms); a piece of 8192 blocks is some 50 us.
  forPieces(pool, blocks, kElementGrain / 4, kLanes, [&](int64_t b, int64_t e) { philoxBlocks(state, out, n, b, e); });
}

}  // namespace sn
