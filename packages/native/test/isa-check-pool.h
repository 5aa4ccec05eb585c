// The pooling cases of isa-check: windows, strides, padding and ceil mode over row widths that reach the
// vector remainders, with uniform inputs and with NaN and Inf; their double-precision references, and the
// check of every pooling kernel of a KernelSet against them.

#pragma once

#include "isa-check-common.h"

namespace sn {
namespace check {

struct PoolReference {
  std::vector<double> max, avgIncludePad, avgExcludePad, maxGrad, avgGradIncludePad, avgGradExcludePad;
  /** The tap each max window selects, kh * WW + kw of the unclipped window (MaxPool2DArgmax). */
  std::vector<double> maxTaps;
};

struct PoolCase {
  std::string what;
  PoolGeom include, exclude;
  std::unique_ptr<EdgeBuffer> x, special, ties, dy;
  PoolReference ref, refSpecial, refTies;
};

/** Every case, with its inputs (ending at an inaccessible page) and references. */
std::vector<PoolCase> poolCases();

/** The max, average and max-gradient kernels of ks on one case, on every pool. */
CaseResult checkPool(const KernelSet& ks, const PoolCase& c, Pools& pools);

/**
 * --bench: milliseconds per call of the pooling kernels (all planes, split across `pool` as the addon does) on the
 * ops suite's shapes whose description holds `only`; `best` times a call (best of --reps after a warm-up).
 */
void benchPool(const KernelSet& ks, ThreadPool& pool, const std::string& only, const std::function<double(const std::function<void()>&)>& best);

}  // namespace check
}  // namespace sn
