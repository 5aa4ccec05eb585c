// ISA fragment (included by src/native/isa/<isa>.cc after planes.inl, grad.inl and avg-grad.inl): the pooling
// entries of the KernelSet. The avx512 path hands a plane to the same kernels compiled for 8 lanes (the avx2
// path: every AVX-512 CPU runs AVX2 and FMA) where 16-lane vectors cover its rows badly; other paths and
// geometries run their own kernels.
//
// Measured on Zen 4 (AVX-512 executed as two 256-bit halves), 1 thread, CPU ms per call, medians of 9
// interleaved rounds of bench/isa-ab.ts, avx2 / avx512 path before this rule (load 20, so a few percent is noise):
// - planes narrower than 16 columns, whose every row is a masked part of one vector: LeNet-5's 2x2 pool of
//   256x16x10x10 0.091 / 0.153 ms, its gradient 0.364 / 0.687; a global 8x8 average of 64x64x8x8 0.143 / 0.186,
//   its gradient 0.172 / 0.446;
// - gradients of windows that do not overlap (the 2x2 pool), whose 16-lane row tails are masked where 8 lanes
//   fit whole vectors (56 columns) or that go through the phase buffer (average): 8x64x56x56 max 0.701 / 0.829,
//   average 0.526 / 0.826; LeNet-5's 256x6x28x28 max 0.620 / 0.687. Overlapping windows' gradients stay on 16
//   lanes: 3x3 stride 2 average 1.264 / 1.194;
// - the forward of overlapping windows (3x3 stride 2: each output row's vertical pass and deinterleaves, where
//   Zen 4 runs a 16-lane permute as two halves), isa-check --bench --cpu-time, best of 5, 3 interleaved rounds:
//   8x64x56x56 max 0.276-0.281 / 0.303-0.366 ms, average 0.245-0.251 / 0.264-0.280; ResNet-18's stem pool
//   2x64x112x112 max 0.221-0.235 / 0.237-0.267. Non-overlapping forwards stay (2x2 of 8x64x56x56: 0.140-0.155 /
//   0.132-0.135; LeNet-5's 28x28 planes, which the 16-lane kernel runs a plane at a time: 0.118 / 0.092-0.094).
//
// Re-measured on Zen 5 (full-width AVX-512), isa-check --bench-only window --cpu-time, 1 thread, best of 5, 4-5
// interleaved rounds with the rule off (STRIDENET_AVX512_FULL_WIDTH=1, the rule gated on it) against on, load 13-19,
// medians, 8 / 16 lanes: every hand-off still pays but the gradient from recorded taps (MaxPool2DGradArgmax) of
// windows that do not overlap, which runs 1.2-1.9x faster on 16 lanes there, so on full-width CPUs
// (cpuAvx512FullWidth) it stays on them: 8x64x56x56 2x2 0.350 -> 0.183 ms, LeNet-5's 256x6x28x28 0.358 -> 0.185,
// 256x16x10x10 0.228 -> 0.158, the global 8x8 average's 64x64x8x8 0.056 -> 0.048. The others, 8 / 16 lanes:
// 256x16x10x10 max 0.077 / 0.149, average 0.091 / 0.164, max gradient 0.282 / 0.326, average gradient 0.314 /
// 0.365; 8x64x56x56 2x2 max gradient 0.229 / 0.373, average gradient 0.143 / 0.306; 64x64x8x8 average gradient
// 0.127 / 0.296; 3x3 stride 2 forwards mixed (2x64x112x112 max 0.156 / 0.220, 8x64x56x56 max 0.206 / 0.170,
// average 0.137 / 0.179).

/**
 * Whether this path hands the plane to eightLaneKernels(): narrow rows; the gradient of windows that do not overlap,
 * the forward of those that do. fromTaps: the gradient from recorded taps, which full-width AVX-512 keeps on 16 lanes
 * where windows do not overlap (each dx gets at most one dy, so the two gradient routes still agree bit for bit).
 */
bool poolByEightLanes(const PoolGeom& g, bool grad, bool fromTaps = false) {
  if (eightLaneKernels() == nullptr) return false;
  const bool disjoint = g.SW >= g.WW && g.SH >= g.WH;
  if (fromTaps && disjoint && cpuAvx512FullWidth()) return false;
  return g.W < S::N || grad == disjoint;
}

void maxPoolPlaneFor(const PoolGeom& g, const float* x, float* y) {
  if (poolByEightLanes(g, false)) return eightLaneKernels()->maxPoolPlane(g, x, y);
  if (window3s2Fits(g)) return window3s2Plane<true>(g, x, nullptr, y);
  maxPoolPlane(g, x, y);
}

void avgPoolPlaneFor(const PoolGeom& g, const float* x, const float* inv, float* y) {
  if (poolByEightLanes(g, false)) return eightLaneKernels()->avgPoolPlane(g, x, inv, y);
  if (window3s2Fits(g)) return window3s2Plane<false>(g, x, inv, y);
  avgPoolPlane(g, x, inv, y);
}

void maxPoolGradPlaneFor(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  if (poolByEightLanes(g, true)) return eightLaneKernels()->maxPoolGradPlane(g, dy, x, dx);
  if (maxPoolGradWindow3s2Fits(g)) {
    // The winners recorded as the training forward records them (a plane of taps, in cache; not its values), then
    // routed as from the recorded taps, row by row: the same sums in the same order as maxPoolGradWindow3s2's walk
    // down the plane, so both gradients give the same bits. Walked down the plane here, after the winner search
    // has read the plane of x, 8x64x56x56 on avx2 ran 0.59-0.70 -> 0.62-0.92 ms (isa-check --cpu-time, 5
    // interleaved rounds, load 20), where the same walk from recorded taps gained.
    float* taps = scratch(static_cast<size_t>((g.OH + 1) * g.OW), kSlabSlot);
    window3s2ArgmaxOrderedPlane<false>(g, x, taps + g.OH * g.OW, taps);
    return maxPoolGradWindow3s2Rows(g, dy, taps, dx);
  }
  maxPoolGradPlane(g, dy, x, dx);
}

/** The gradient's route (maxPoolGradPlaneFor) from the recorded taps, so the two agree bit for bit. */
void maxPoolGradArgmaxPlaneFor(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
  if (poolByEightLanes(g, true, true)) return eightLaneKernels()->maxPoolGradArgmaxPlane(g, dy, taps, dx);
  if (maxPoolGradWindow3s2Fits(g)) return maxPoolGradWindow3s2(g, dy, taps, dx);
  maxPoolGradArgmaxPlane(g, dy, taps, dx);
}

void avgPoolGradPlaneFor(const PoolGeom& g, const float* dy, const float* inv, float* dx) {
  if (poolByEightLanes(g, true)) return eightLaneKernels()->avgPoolGradPlane(g, dy, inv, dx);
  if (maxPoolGradWindow3s2Fits(g)) return avgPoolGradWindow3s2(g, dy, inv, dx);
  if (poolPairsFit(g)) return avgPoolGradPairs(g, dy, inv, dx);
  avgPoolGradPlane(g, dy, inv, dx);
}
