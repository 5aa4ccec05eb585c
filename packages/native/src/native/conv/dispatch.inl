// ISA fragment (see README.md): which direct algorithm runs for a geometry, and the KernelSet entries.
// forwardConv is declared before backprop-input.inl (which calls it) by the including isa/<isa>.cc.

/**
 * Strided layers on 8 lanes with many output channels and either many input channels or very few (a
 * stem) take the channel-lane kernel even where its filter panel lives in L2: on AVX2 (Zen 2, 1 thread,
 * CPU time, interleaved rounds, medians) ResNet-18's at batch 2 ran 15-25% faster that way (stem 7x7/2
 * 3 -> 64 at 224x224: 47-53 -> 60-65 GFLOP/s; 3x3/2 64 -> 128 at 56x56: 5.9-6.1 -> 4.6-5.2 ms; 1x1/2
 * 256 -> 512 at 14x14: 32-37 -> 41-45 GFLOP/s), 8x64x56x56 3x3/2 -> 128 10% faster, while ResNet-20's
 * 16- and 32-channel ones measured even or slower (1x1/2 16 -> 32: 14-21 -> 14-17 GFLOP/s). Filters of 9 taps
 * and more whose output channels fill whole channel panels but would pad the position tile's channel rows
 * by a tenth or more take it too: ResNet-20's 3x3/2 16 -> 32 at 32x32 (36 rows of 6 for 32 channels) ran
 * 41 -> 46 GFLOP/s (b64, 1 thread, CPU time, medians of 10 interleaved rounds, load 9-10).
 */
bool stridedByChannels(const ConvGeom& g) {
  if (S::N != 8 || (g.SH == 1 && g.SW == 1)) return false;
  if (g.Og >= 64 && (g.Cg >= 64 || g.Cg <= 4)) return true;
  const int MR = pickForwardMR(g);
  const int64_t rows = (g.Og + MR - 1) / MR * MR;
  return g.KH * g.KW >= 9 && g.Og % kChanPanel == 0 && 10 * (rows - g.Og) >= g.Og;
}

/**
 * avx512: 3x3 stride-1 layers that the 16-lane Winograd does not take and the 8-lane one does (9 to 13 output
 * columns; 8 under 64 input channels, constant filters; both take 7 from 64): their images hold too few tiles for the 16-lane
 * passes of 2 x 16 tiles, and the tiled kernel does 2.25x the multiply-adds. Zen 4, ResNet-20 b64 64 -> 64 at 8x8
 * (bench/model-profile.ts, 1 thread, CPU time), before the 16-lane one-vector tiles took 8x8 from 64 channels
 * (winogradFits): forward 17.6-18.0 ms on the 16-lane tiled kernel against 10.0-10.2 on the avx2 path.
 * Zen 5 (full-width AVX-512), 4x384x13x13 -> 384 (isa-check --bench-only 4x384x13x13 --cpu-time, 1 thread,
 * 4 interleaved rounds, STRIDENET_AVX512_FULL_WIDTH=0 against 1 with this rule gated on it, load 13-15): the
 * forward ran 109-126 GFLOP/s (median 114) here against 137-150 (144) on the 16-lane direct kernel, but the
 * input gradient (the same forwardConv on the flipped filter) 94-111 (100) against 37.5-40.4 (38.6), so the
 * hand-off stays on every AVX-512 CPU.
 */
bool winogradByEightLanes(const ConvGeom& g, bool constantFilter) {
  // Not the 5- and 6-column outputs the 8-lane Winograd takes from 64 channels (winogradFits): Zen 5, 32x192x8x8 -> 192
  // valid (All-CNN-C), isa-check --cpu-time, 1 thread, load 7-9: 128-141 GFLOP/s on the 16-lane tiled kernel against
  // 98-103 for that Winograd on the avx2 path.
  return eightLaneKernels() != nullptr && g.OW >= 7 && eightLaneKernels()->winogradFits(g, constantFilter);
}

/**
 * AVX-512 on CPUs that run it as two 256-bit halves (Zen 4; cpuAvx512FullWidth false): stride-1 layers whose
 * rows fill 16-lane position vectors badly and whose 9-16 output channels fill a 16-channel panel but only half
 * of this path's 32-channel one run the AVX2 path's channel-lane kernel (8-lane vectors, 16-channel panels, 6
 * positions a tile). Zen 4, LeNet C3 (64x6x14x14 -> 16 5x5, 10 of 16 lanes a row): 64 -> 93 GFLOP/s, 1 thread,
 * CPU time (isa-check --bench-only 64x6x14x14). Spreading the rows end to end over the vectors (100 of 112 lanes,
 * three masked loads a vector and tap) measured no faster (63-66). On full-width AVX-512 the 16-lane kernels
 * keep it: Zen 5, the same command with --cpu-time, 5 interleaved rounds of
 * STRIDENET_AVX512_FULL_WIDTH=0 against 1, load 16-18: 91.1-94.2 GFLOP/s (median 91.6) here against 108-114 (111).
 */
bool eightLaneChannels(const ConvGeom& g, double positionUse) {
  if (eightLaneKernels() == nullptr || cpuAvx512FullWidth()) return false;
  if (g.SH != 1 || g.SW != 1 || g.KH * g.KW == 1 || g.Og < 9 || g.Og > 16 || g.Kdim * 16 * 4 > (32 << 10)) return false;
  const double use = static_cast<double>(g.Og) / 16.0 * static_cast<double>(g.P) / static_cast<double>((g.P + 5) / 6 * 6);
  return use > 1.2 * std::max(positionUse, channelTileUse(g));
}

/**
 * avx512: constant-filter 3x3 stride-1 layers that the 8-lane F(4x4, 3x3) takes (conv/winograd-f4.inl) run it
 * instead of this path's F(2x2, 3x3): 2.25 products per output against 4, which the wider vectors do not make up
 * for (Zen 4, one run of the bench's models suite, 1 thread: All-CNN-C inference b64 212 ms on avx512 against
 * 175 on the avx2 path with F(4x4, 3x3)). Where 512-bit operations run at full width (cpuAvx512FullWidth) this
 * path's own 16-lane F(4x4, 3x3) takes them first (winogradF4Fits; see winograd-f4.inl's figures), so only
 * geometries it does not take reach this rule there. Outputs that are not whole 4x4 tiles (14x14, 13x13, 7x7
 * from batch 8) reach it by the 8-lane rule too: on Zen 5's avx2 path F(4x4, 3x3) ran them at 1.5-1.9x the
 * 8-lane F(2x2, 3x3), and 16-lane F(2x2, 3x3) peaks as 8-lane on half-width CPUs (not measured on one).
 */
bool f4ByEightLanes(const ConvGeom& g, bool constantFilter) {
  // Not at full width where the batch holds fewer than one 16-lane vector of tiles (winogradF4Fits declined them for
  // that): this path's 16-lane F(2x2, 3x3) runs them faster. Emerald Rapids, 1 thread, constant filter, us per call,
  // 8-lane F(4x4) -> 16-lane F(2x2): 2x64x8x8 -> 64 55 -> 42, 2x128x8x8 -> 128 183 -> 117.
  if (cpuAvx512FullWidth() && g.N * f4TilesH(g) * f4TilesW(g) < S::N) return false;
  return eightLaneKernels() != nullptr && eightLaneKernels()->winogradF4Fits(g, constantFilter);
}

/**
 * AVX-512: the ResNet/GoogLeNet stem (7x7 stride 2, up to 4 input channels, 64 output channels and more) runs
 * the AVX2 path's channel-lane kernel (2 x 8 channels x 6 positions, stridedByChannels) instead of the 16-lane
 * position tile (12 channels x 2 vectors). Zen 4, 2x3x224x224 -> 64, isa-check --bench-only, 1 thread, CPU
 * time, 4 interleaved rounds at load 13-14: 95.0-96.5 -> 100.3-101.6 GFLOP/s (2 threads: 94 -> 100-101). There
 * its 7-tap-wide stride-2 forwards now take the AVX2 path's column-polyphase Winograd (stemWinogradFits). Where
 * AVX-512 runs full width (cpuAvx512FullWidth: Zen 5) this path's own 16-lane stem Winograd takes them first
 * (forwardConv asks stemWinogradFits before this): 2x3x224x224 -> 64, 1 thread, CPU time, 110-137 -> 180-232 GFLOP/s.
 */
bool stemByEightLanes(const ConvGeom& g) {
  return eightLaneKernels() != nullptr && g.SW == 2 && g.Cg <= 4 && g.Og >= 64 && g.KH * g.KW >= 49;
}

/**
 * Whether forwardConv takes F(2x2, 3x3) from 16 input channels for filter w (conv/winograd.inl winogradFits): a constant
 * filter, or on 8 and 16 lanes the flipped one of a stride-1 input gradient (FilterRef::inputGradient), whose rounding
 * flips no ReLU mask (trainable forwards keep the tiled kernel below 64 channels, see winogradFits). Zen 5, ResNet-20's
 * input gradients at batch 32, isa-check --bench-only "32x16x32x32 * 16|32x32x16x16 * 32" --columns forward,input
 * --cpu-time --threads 1, 4 interleaved rounds of the same binary with the rule off and on, load 7-8 (an addon build
 * beside it), GFLOP/s: avx2 32x16x32x32 -> 16 81-92 -> 87-139, 32x32x16x16 -> 32 84-96 -> 129-162; avx512 142-170 ->
 * 190-202, 163-180 -> 217-254. F(4x4, 3x3) measured faster still (avx2 105-181 and 182-249, avx512 287-305 and
 * 372-411) but its rounding put Conv2DBackpropInput past src/kernels/conv2d-direct.test.ts's 1e-5 (2.5e-5 on
 * 70 -> 20 channels at 8x8), so it stays with constant filters. 4-lane paths keep the trainable rule (not measured).
 * s39: trainable forwards take it too on 8 and 16 lanes. Under the bench's float64 ReLU-flip gate (apps/bench verify.ts)
 * ResNet-20's step-1 weights read <= 2.2e-6 at seeds 1-8 with it (tiled <= 1.6e-6; F(4x4, 3x3) 1.4e-2 at seed 1, so
 * trainable filters stay off F4), and model-profile resnet20 32 train --threads 1 --cpu-time (same addon, rule off/on,
 * 4 interleaved rounds, load 6-11) read avx2 16-channel forwards 10.9-13.8 -> 7.5-9.2 ms a step, 32-channel 8.5-9.8 ->
 * 5.3-6.2; avx512 6.1-7.1 -> 5.0-5.5, 4.8-5.4 -> 3.9-4.2 (packages/native/README.md, "s39").
 */
bool winogradFrom16(const FilterRef& w) { return w.constant || S::N >= 8; }

/**
 * A forward convolution by the best direct kernel for its shape (depthwise, Winograd or tiled); residual: null or of y's layout.
 * Kernels that only some vector widths take (kF4Lanes, kStemLanes, kPairedChannels; backpropInput's kChannelDxLanes) are
 * named under `if constexpr` as well as tested by their Fits function: a Fits function that is false on a width at compile
 * time still left its kernel compiled where the call was not folded (the ASan build, -O1: F(4x4, 3x3), the stem Winograd
 * and the channel-lane input gradient on the 4-lane paths, the paired channel-lane forward on avx2; see the README,
 * "Developing").
 */
void forwardConv(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                 ThreadPool& pool) {
  if (g.Cg == 1 && g.Og == 1) {
    depthwiseForward(g, x, w.weights(), bias, residual, relu, y, pool);
    return;
  }
  if (fewPositionsFits(g)) {
    fewPositionsForward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  if constexpr (kF4Lanes) {
    // Constant filters of 1 MiB and more at 7x7 outputs and one or two GEMM tiles of tiles (ResNet-18's 512-channel
    // layers at batch 1-2 on avx2, 2-4 on full-width avx512): F(4x4, 3x3) with the filter transformed as it is read
    // (conv/winograd-f4-fused.inl, figures at f4FusedFits). On half-width AVX-512 the 16-lane rule is off (f4FullWidth).
    if (f4FusedFits(g, w.constant)) {
      f4FusedForward(g, x, w, bias, residual, relu, y, pool);
      return;
    }
    if (winogradF4Fits(g, w.constant)) {
      winogradF4Forward(g, x, w, bias, residual, relu, y, pool);
      return;
    }
  }
  if (f4ByEightLanes(g, w.constant)) {
    eightLaneKernels()->forward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  if (winogradFits(g, winogradFrom16(w))) {
    winogradForward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  if (winogradS2Fits(g, w.constant)) {
    winogradS2Forward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  if constexpr (kStemLanes) {
    if (stemWinogradFits(g, w.constant)) {
      stemWinogradForward(g, x, w, bias, residual, relu, y, pool);
      return;
    }
  }
  if (winogradByEightLanes(g, winogradFrom16(w)) || stemByEightLanes(g)) {
    eightLaneKernels()->forward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  if (singleChannelFits(g)) {
    const int MR = pickForwardMR(g, false);
    const FilterCache::Packed ap = w.packed(layoutKey({2, g.G, g.Og, g.Kdim, MR}), static_cast<size_t>(packedFilterFloats(g, MR)),
                                            [&](const float* raw, float* out) { packFilter(g, raw, MR, out); });
    forwardSingleChannel(g, x, ap->data(), MR, bias, residual, relu, y, pool);
    return;
  }
  const int MR = pickForwardMR(g);
  // Output channels in the lanes where they fill them much better than the output rows fill position
  // vectors (the transposed store costs about a tenth of a tile), and where a panel of the filter stays
  // in L1 (measured on AVX2: LeNet C3 went from 35-37 to 44 GFLOP/s; a 192-channel 8x8 -> 6x6 layer, whose
  // panels live in L2, ran slower than on position vectors).
  const bool panelInL1 = g.Kdim * kChanPanel * 4 <= (32 << 10);
  const int64_t R = rowsPerVector(g);
  const int64_t rowVectors = R > 1 ? (g.OH + R - 1) / R : g.OH * ((g.OW + S::N - 1) / S::N);
  const double positionUse = static_cast<double>(g.P) / static_cast<double>(rowVectors * S::N) * static_cast<double>(g.Og) /
                             static_cast<double>((g.Og + MR - 1) / MR * MR);
  if (eightLaneChannels(g, positionUse)) {
    eightLaneKernels()->forward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  if ((panelInL1 && channelTileUse(g) > 1.2 * positionUse) || stridedByChannels(g) || pairedChannelsPay(g)) {
    const FilterCache::Packed cp = w.packed(layoutKey({5, g.G, g.Og, g.Kdim, kChanPanel}), static_cast<size_t>(channelFilterFloats(g)),
                                            [&](const float* raw, float* out) { packChannelFilter(g, raw, out); }, false);
    if constexpr (kPairedChannels) {
      if (pairedChannelsFits(g)) {
        forwardChannelsS2(g, x, cp->data(), bias, residual, relu, y, pool);
        return;
      }
    }
    forwardChannels(g, x, cp->data(), bias, residual, relu, y, pool);
    return;
  }
  const FilterCache::Packed ap = w.packed(layoutKey({2, g.G, g.Og, g.Kdim, MR}), static_cast<size_t>(packedFilterFloats(g, MR)),
                                          [&](const float* raw, float* out) { packFilter(g, raw, MR, out); });
  forwardTiled(g, x, ap->data(), MR, bias, residual, relu, y, pool);
}

// Pointwise layers (1x1, stride 1, no padding) take GEMM for their gradients: the image is already the GEMM
// operand, and it measured 5-15% faster than the direct kernels on AVX2; on AVX-512 (Zen 4, 1 thread, CPU time,
// bench/isa-ab.ts) the direct kernels ran 1.1-1.6x the avx2 path's GEMM (8x256x56x56 -> 64 input gradient
// 11.8 against 8.5 ms, 64x16x8x8 -> 32 0.12 against 0.08).
constexpr bool kPointwiseGradsByGemm = true;

// On AVX2 their forward too, since GEMM's B panels are prefetched (gemm.cc packB): 1 thread, CPU time,
// medians of 5 interleaved rounds at load ~8, direct -> GEMM: 8x64x56x56 -> 256 23.2 -> 18.6 ms,
// 8x256x56x56 -> 64 27.0 -> 18.0, 8x256x14x14 -> 1024 20.2 -> 15.7, 32x128x16x16 -> 128 5.2 -> 4.9,
// 2x512x7x7 -> 512 1.35 -> 1.20, 64x16x8x8 -> 32 0.20 -> 0.10 ms. On AVX-512 as well (Zen 4: the direct kernel
// ran 8x64x56x56 -> 256 at 12.2 ms against the avx2 path's 10.3).
constexpr bool kPointwiseForwardByGemm = kIsa == Isa::Avx2 || kIsa == Isa::Avx512;

bool forwardFits(const ConvGeom& g) { return fewPositionsFits(g) || (!(kPointwiseForwardByGemm && g.pointwise) && (g.Og >= 4 || g.Og <= 2)); }

bool backpropInputFits(const ConvGeom& g) {
  return !(kPointwiseGradsByGemm && g.pointwise) && (g.Cg >= 4 || g.Cg <= 2 || pairedFits(g));
}

bool backpropFilterFits(const ConvGeom& g) {
  return !(kPointwiseGradsByGemm && g.pointwise) && ((g.Og >= 8 && g.Kdim >= kFilterMR) || g.Cg == 1);
}

/**
 * AVX-512 on CPUs that run it as two 256-bit halves (Zen 4; cpuAvx512FullWidth false): the filter gradient of 2-4
 * input channels by output positions (3-channel first layers) runs the AVX2 path's kernel. Its 4 x 3 tile loads
 * 7 vectors per 12 multiply-adds, and at 16 lanes every slab row of a tap
 * past the first column is a load across two cache lines: on Zen 4 (1 thread, CPU time, interleaved rounds,
 * load ~15) 32x3x32x32 -> 16 3x3 ran 74-78% of the FMA peak on 16 lanes (45% before the tile's operands were
 * held in registers, 8 x 3 tiles slower still) and 82% on 8; -> 96 69-77% and 74-83%. One input channel keeps
 * this path's 3 x 5 tiles (LeNet C1). On full-width AVX-512 (cpuAvx512FullWidth) the 16-lane kernel keeps them,
 * with 8 x 3 tiles on rows of whole vectors (filter-grad-positions.inl positionsFilterGrad: Zen 5, 32x3x32x32 -> 16
 * 100 -> 116 GFLOP/s, -> 96 93 -> 98); with 4 x 3 tiles 16 lanes lost there too (isa-check --bench-only 32x3x32x32
 * --cpu-time, 1 thread, 4 interleaved rounds, load 13-15: -> 16 100-104 GFLOP/s (median 103) on 8 lanes against
 * 89-100 (92), -> 96 92-106 (95) against 76-89 (83)). Rows with a masked tail keep 4 x 3 tiles on 16 lanes there and
 * still beat the hand-off: Zen 5, 32x3x28x28 -> 16 (isa-check --bench-only 32x3x28x28 --cpu-time, 1 thread, 5
 * interleaved rounds of STRIDENET_AVX512_FULL_WIDTH=0 against 1, load 28-31) 55.3-69.6 (62.9) on 8 lanes against
 * 65.1-71.0 (68.3); 32x3x32x32 -> 16 in the same rounds 84.9-96.0 (92.3) against 95.2-111.5 (105.4).
 */
bool positionsByEightLanes(const ConvGeom& g) { return eightLaneKernels() != nullptr && !cpuAvx512FullWidth() && g.C >= 2; }

/**
 * AVX-512 on CPUs that run it as two 256-bit halves (Zen 4; cpuAvx512FullWidth false): the Winograd filter
 * gradient of layers whose output channels fill an odd number of 16-lane vectors (1-vector panels: MR broadcasts
 * of V per MR multiply-adds, 16 and 48 channels) runs the AVX2 path's kernel (8 lanes, 2-vector panels: MR
 * broadcasts per 2 MR). Zen 4, 32x16x32x32 -> 16 (isa-check --cpu-time, interleaved; see the README's "ResNet-20
 * training step" paragraph): idle baseline 98.5 GFLOP/s on 16 lanes against 118.6 on 8; at load 10-17, medians
 * 103 -> 106 (1 thread) and 98.6 -> 100.3 (2 threads). On full-width AVX-512 the 16-lane kernel keeps them:
 * Zen 5 (isa-check --bench-only "32x16x32x32|32x48x16x16" --cpu-time, interleaved rounds of
 * STRIDENET_AVX512_FULL_WIDTH=0 against 1, load 16-18), 8 lanes -> 16: 32x16x32x32 -> 16 109-122 GFLOP/s (median
 * 121) -> 145-153 (150) on 1 thread (5 rounds), 108-126 (114) -> 137-147 (141) on 2 (4 rounds); 32x48x16x16 -> 48
 * 174-180 (175) -> 234-258 (248) and 158-175 (170) -> 208-250 (228).
 */
bool winogradFilterGradByEightLanes(const ConvGeom& g) {
  return eightLaneKernels() != nullptr && !cpuAvx512FullWidth() && filterPanelVectors(g.O) == 1 && winogradFilterGradFits(g);
}

/**
 * AVX-512: the filter gradient of 3x3 depthwise layers at unit strides (depthwise3x3FilterGrad) runs the AVX2
 * path's kernel: 56-column rows fill 16-lane vectors with two masked edge vectors of four (Zen 4, 1 thread,
 * CPU time, interleaved rounds at load ~15, isa-check --bench-only: 8x64x56x56 16 lanes 47-50 GFLOP/s against
 * 65-69 on 8). Full-width AVX-512 keeps the hand-off: Zen 5 (the same command with --cpu-time, 4 interleaved
 * rounds, STRIDENET_AVX512_FULL_WIDTH=1 against 0 with this rule gated on it, load 13-15) 8x64x56x56 25-33
 * GFLOP/s (median 28) on 16 lanes against 45-83 (63) on 8, 1x16x56x56 43-49 (45) against 72-76 (74).
 * s36, same gate, 3 rounds at load ~19: 8x64x56x56 33.9-37.0 against 55.2-66.2, 1x16x56x56 40.6-42.9 against
 * 59.5-64.3. The cache-resident 1x16 is as slow, so it is not memory (a fetch of each group's next image, tried:
 * 1x16 unchanged, 8x64 28-31 -> 34-37, still short of 8 lanes); nor lines split by 512-bit loads: on this Zen 5
 * an unaligned 64-byte load from L1 costs twice an aligned one, the same per byte as an unaligned 32-byte one,
 * and the 16-lane forward, which loads alike, runs 1x16x56x56 at 110-116 against the avx2 path's 85-90. Not
 * found yet.
 */
bool depthwise3x3FilterGradByEightLanes(const ConvGeom& g) { return eightLaneKernels() != nullptr && depthwise3x3Fits(g); }

void backpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if (winogradFilterGradByEightLanes(g)) {
    eightLaneKernels()->backpropFilter(g, x, dy, dw, pool);
    return;
  }
  if (positionsFilterGradFits(g)) {
    if (positionsByEightLanes(g)) {
      eightLaneKernels()->backpropFilter(g, x, dy, dw, pool);
      return;
    }
    positionsFilterGrad(g, x, dy, dw, pool);
    return;
  }
  if (g.Cg == 1 && !(g.Og >= 8 && g.Kdim >= kFilterMR)) {
    if (depthwise3x3FilterGradByEightLanes(g)) {
      eightLaneKernels()->backpropFilter(g, x, dy, dw, pool);
      return;
    }
    depthwiseFilterGrad(g, x, dy, dw, pool);
    return;
  }
  if (winogradFilterGradFits(g)) {
    winogradFilterGrad(g, x, dy, dw, pool);
    return;
  }
  if (winogradS2FilterGradFits(g, pool.size())) {
    winogradS2FilterGrad(g, x, dy, dw, pool);
    return;
  }
  if (stemFilterGradFits(g)) {
    stemFilterGrad(g, x, dy, dw, pool);
    return;
  }
  tiledFilterGrad(g, x, dy, dw, pool);
}
