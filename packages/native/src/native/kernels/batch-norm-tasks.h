// Shared by BatchNormTrain and BatchNormGrad: how an [outer, channels, inner] tensor is cut into tasks.
// A task is a group of whole channels, or one block of a big channel (a range of rows, or a segment of
// one long row). The cut depends on the shape alone and each block's partial sums are merged in block
// order, so the results have the same bits at every thread count; the work runs in two pool calls
// (sums, then the elementwise pass), both over the same tasks, so a channel of any size is split.
// Small channel groups (run): one pool call, each task a group's blocks' sums then its elementwise pass, the
// same blocks merged in the same order (the same bits), while the group's data is still in L2.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../isa.h"
#include "../runtime.h"

namespace sn {

struct BnTasks {
  int64_t outer, C, inner;
  /** Channels per task (1 when a channel is split into blocks). */
  int64_t group = 1;
  /** Rows per block, and segments per row with their length (segments = 1 unless one row is big). */
  int64_t rowsPer = 1, segments = 1, segLen = 1;

  /** About kWork elements per task. */
  static constexpr int64_t kWork = int64_t{1} << 14;
  /**
   * Most elements of a channel group that run as one task of both passes: with x, dy and y at 128 KiB each
   * they stay in a 1 MiB L2 (Zen 4). ResNet-20 b32 training, BatchNormGrad + BatchNormTrain per step
   * (model-profile --cpu-time, 1 thread, interleaved): see the README's "ResNet-20 training step" paragraph.
   */
  static constexpr int64_t kFusedElements = int64_t{1} << 15;
  /** Fewest fused tasks per thread: a group per task costs balance where there are few channels. */
  static constexpr int64_t kFusedPerThread = 4;

  BnTasks(int64_t outer_, int64_t C_, int64_t inner_) : outer(outer_), C(C_), inner(inner_) {
    const int64_t M = outer * inner;
    rowsPer = outer;
    segLen = inner;
    if (M < 2 * kWork) {
      group = std::min(C, std::max<int64_t>(1, kWork / M));
    } else if (inner >= kWork) {
      rowsPer = 1;
      segments = (inner + kWork - 1) / kWork;
      segLen = (inner + segments - 1) / segments;
      segLen = (segLen + 15) / 16 * 16;  // whole vectors on every ISA
      segments = (inner + segLen - 1) / segLen;
    } else {
      rowsPer = kWork / inner;
    }
  }

  /** Partial sums per channel. */
  int64_t blocks() const { return (outer + rowsPer - 1) / rowsPer * segments; }
  int64_t groups() const { return (C + group - 1) / group; }
  int64_t tasks() const { return groups() * blocks(); }
  /** First channel of task t, and one past its last. */
  int64_t firstChannel(int64_t t) const { return t / blocks() * group; }
  int64_t endChannel(int64_t t) const { return std::min(C, firstChannel(t) + group); }
  /** Block of task t within its channels. */
  int64_t block(int64_t t) const { return t % blocks(); }
  /** The rows of block b of channel c, and their offset in the tensor. */
  BnRows rows(int64_t b, int64_t& offset, int64_t c) const {
    const int64_t r0 = b / segments * rowsPer, i0 = b % segments * segLen;
    offset = (r0 * C + c) * inner + i0;
    return BnRows{std::min(rowsPer, outer - r0), std::min(segLen, inner - i0), C * inner};
  }
  /** fn(c, b, rows, offset) for each channel c of task t, b being the task's block. */
  template <typename F>
  void each(int64_t t, F fn) const {
    const int64_t b = block(t);
    for (int64_t c = firstChannel(t); c < endChannel(t); c++) {
      int64_t offset;
      const BnRows r = rows(b, offset, c);
      fn(c, b, r, offset);
    }
  }
  /** Index of channel c's block b in the partial sums (two doubles per block). */
  int64_t at(int64_t c, int64_t b) const { return (c * blocks() + b) * 2; }
  /**
   * sums(t) for every task, then apply(t) for every task: two pool calls, or one where each group is small
   * (whole groups per task, each group's blocks summed, then applied; a task sees only its own sums).
   */
  template <typename F, typename G>
  void run(ThreadPool& pool, F sums, G apply) const {
    const int64_t n = blocks();
    if (group * outer * inner <= kFusedElements && groups() >= kFusedPerThread * pool.size()) {
      pool.run(groups(), [&](int64_t gi) {
        for (int64_t b = 0; b < n; b++) sums(gi * n + b);
        for (int64_t b = 0; b < n; b++) apply(gi * n + b);
      });
      return;
    }
    pool.run(tasks(), sums);
    pool.run(tasks(), apply);
  }
  /** Merges channel c's block sums (two per block) in block order. */
  void merge(const double* partial, int64_t c, double* s) const {
    s[0] = s[1] = 0;
    for (int64_t b = 0; b < blocks(); b++) {
      s[0] += partial[at(c, b)];
      s[1] += partial[at(c, b) + 1];
    }
  }
};

}  // namespace sn
