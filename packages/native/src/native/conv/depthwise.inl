// ISA fragment (see README.md): depthwise layers (one input and one output channel per group).
// Memory-bound, so no tiling machinery: per channel plane, each tap's weight broadcast once and N
// output columns per vector; the filter gradient is a dot product of dy with the shifted input.

/** TAPS > 0: the tap count known at compile time, so the weights stay in registers; 0: any count. */
template <int TAPS>
void depthwisePlane(const ConvGeom& g, const float* slab, int64_t Wq, const int64_t* off, const float* w, float bias, const float* res, bool relu,
                    float* out) {
  constexpr int64_t N = S::N;
  const int64_t taps = TAPS > 0 ? TAPS : g.KH * g.KW;
  const S::V zero = S::zero(), b = S::set1(bias);
  S::V wv[TAPS > 0 ? TAPS : 1];
  int64_t o[TAPS > 0 ? TAPS : 1];
  if constexpr (TAPS > 0) {
#pragma GCC unroll 32
    for (int k = 0; k < TAPS; k++) {
      wv[k] = S::set1(w[k]);
      o[k] = off[k];
    }
  }
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const float* row = slab + oh * g.SH * Wq;
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      S::V acc = b;
      if constexpr (TAPS > 0) {
#pragma GCC unroll 32
        for (int k = 0; k < TAPS; k++) acc = S::fma(wv[k], S::load(row + ow0 + o[k]), acc);
      } else {
        for (int64_t k = 0; k < taps; k++) acc = S::fma(S::set1(w[k]), S::load(row + ow0 + off[k]), acc);
      }
      const uint32_t lanes = laneBits(0, std::min(N, g.OW - ow0));
      if (res) acc = S::add(acc, loadLanes(res + oh * g.OW + ow0, lanes));
      if (relu) acc = S::max(zero, acc);
      storeLanes(out + oh * g.OW + ow0, lanes, acc);
    }
  }
}

/**
 * Unit column stride and dilation: the input plane is read in place, with no padded copy. Rows above or
 * below the input read `zeros` (W zero floats); the few vectors whose taps reach past a row end (the
 * padding columns) load those lanes masked, as zeros. KH, KW > 0: the window known at compile time; then
 * with unit row stride two output rows are made together, each loaded input vector feeding both.
 */
template <int KH, int KW>
void depthwiseRows(const ConvGeom& g, const float* x, const float* zeros, const float* w, float bias, const float* res, bool relu, float* out) {
  constexpr int64_t N = S::N;
  constexpr int kRows = KH > 0 ? KH + 1 : 1;
  const int64_t kh_ = KH > 0 ? KH : g.KH, kw_ = KW > 0 ? KW : g.KW;
  const S::V zero = S::zero(), b = S::set1(bias);
  S::V wv[KH > 0 ? KH * KW : 1];
  if constexpr (KH > 0) {
#pragma GCC unroll 32
    for (int k = 0; k < KH * KW; k++) wv[k] = S::set1(w[k]);
  }
  // Vectors from lo to hi read every tap with plain loads inside the row.
  const int64_t lo = g.PL, hi = g.W - kw_ + 1 + g.PL - N;
  const float* fixedRows[kRows];
  std::vector<const float*> anyRows(KH > 0 ? 0 : static_cast<size_t>(kh_ + 1));
  const float** r = KH > 0 ? fixedRows : anyRows.data();
  auto finish = [&](int64_t oh, int64_t ow0, S::V acc) {
    const uint32_t lanes = laneBits(0, std::min(N, g.OW - ow0));
    if (res) acc = S::add(acc, loadLanes(res + oh * g.OW + ow0, lanes));
    if (relu) acc = S::max(zero, acc);
    storeLanes(out + oh * g.OW + ow0, lanes, acc);
  };
  // Output row oh + dr from rows r[dr ...], masked per tap.
  auto edge = [&](int64_t oh, int dr, int64_t ow0) {
    S::V acc = b;
    for (int64_t kw = 0; kw < kw_; kw++) {
      const int64_t start = ow0 - g.PL + kw;
      const uint32_t bits = rowBits(start, g.W, N);
      if (!bits) continue;
      for (int64_t kh = 0; kh < kh_; kh++) acc = S::fma(S::set1(w[kh * kw_ + kw]), loadLanes(r[dr + kh] + start, bits), acc);
    }
    finish(oh + dr, ow0, acc);
  };
  for (int64_t oh = 0; oh < g.OH;) {
    const int pair = KH > 0 && g.SH == 1 && oh + 1 < g.OH ? 2 : 1;
    for (int64_t kh = 0; kh < kh_ + pair - 1; kh++) {
      const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
      r[kh] = ih >= 0 && ih < g.H ? x + ih * g.W : zeros;
    }
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      if (KH == 0 || ow0 < lo || ow0 > hi) {
        for (int dr = 0; dr < pair; dr++) edge(oh, dr, ow0);
        continue;
      }
      if constexpr (KH > 0) {
        // Partial sums per filter row (short dependency chains), rows of output oh in pa, of oh + 1 in pb.
        S::V pa[KH], pb[KH];
#pragma GCC unroll 8
        for (int i = 0; i < KH + pair - 1; i++) {
          const float* src = r[i] + ow0 - g.PL;
          S::V l[KW];
#pragma GCC unroll 8
          for (int kw = 0; kw < KW; kw++) l[kw] = S::load(src + kw);
          if (i < KH) {
            pa[i] = i == 0 ? S::fma(wv[0], l[0], b) : S::mul(wv[i * KW], l[0]);
#pragma GCC unroll 8
            for (int kw = 1; kw < KW; kw++) pa[i] = S::fma(wv[i * KW + kw], l[kw], pa[i]);
          }
          if (i >= 1) {
            const int k = i - 1;
            pb[k] = k == 0 ? S::fma(wv[0], l[0], b) : S::mul(wv[k * KW], l[0]);
#pragma GCC unroll 8
            for (int kw = 1; kw < KW; kw++) pb[k] = S::fma(wv[k * KW + kw], l[kw], pb[k]);
          }
        }
        S::V acc = pa[0];
#pragma GCC unroll 8
        for (int kh = 1; kh < KH; kh++) acc = S::add(acc, pa[kh]);
        finish(oh, ow0, acc);
        if (pair == 2) {
          acc = pb[0];
#pragma GCC unroll 8
          for (int kh = 1; kh < KH; kh++) acc = S::add(acc, pb[kh]);
          finish(oh + 1, ow0, acc);
        }
      }
    }
    oh += pair;
  }
}

void depthwiseForward(const ConvGeom& g, const float* x, const float* w, const float* bias, const float* residual, bool relu, float* y,
                      ThreadPool& pool) {
  const int64_t rows = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  const int64_t taps = g.KH * g.KW;
  // Planes per task: about 64K outputs, so a task outweighs its dispatch.
  const int64_t planes = g.N * g.G;
  const int64_t per = std::max<int64_t>(1, std::min<int64_t>(planes / (2 * pool.size()) + 1, (int64_t{1} << 16) / std::max<int64_t>(1, g.P)));
  const bool inPlace = g.SW == 1 && g.DW == 1;
  pool.run((planes + per - 1) / per, [&](int64_t t) {
    float* buffer = scratch(static_cast<size_t>(inPlace ? g.W : Slab::floats(g, rows, 1)), kSlabSlot);
    if (inPlace) std::fill(buffer, buffer + g.W, 0.f);
    std::vector<int64_t> o(static_cast<size_t>(taps));
    for (int64_t pl = t * per; pl < std::min(planes, (t + 1) * per); pl++) {
      const int64_t n = pl / g.G, grp = pl % g.G;
      const float* wg = w + grp * taps;
      const float bg = bias ? bias[grp] : 0.f;
      float* yp = y + (n * g.O + grp) * g.P;
      const float* rp = residual ? residual + (n * g.O + grp) * g.P : nullptr;
      if (inPlace) {
        const float* xp = x + (n * g.C + grp) * g.H * g.W;
        if (g.KH == 3 && g.KW == 3) {
          depthwiseRows<3, 3>(g, xp, buffer, wg, bg, rp, relu, yp);
        } else if (g.KH == 5 && g.KW == 5) {
          depthwiseRows<5, 5>(g, xp, buffer, wg, bg, rp, relu, yp);
        } else {
          depthwiseRows<0, 0>(g, xp, buffer, wg, bg, rp, relu, yp);
        }
        continue;
      }
      Slab slab(g, 0, rows, buffer);
      slab.fill(g, x + n * g.C * g.H * g.W, grp, 1);
      for (int64_t kh = 0, k = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++) o[static_cast<size_t>(k++)] = slab.tap(g, 0, kh, kw);
      if (taps == 9) {
        depthwisePlane<9>(g, buffer, slab.Wq, o.data(), wg, bg, rp, relu, yp);
      } else if (taps == 25) {
        depthwisePlane<25>(g, buffer, slab.Wq, o.data(), wg, bg, rp, relu, yp);
      } else {
        depthwisePlane<0>(g, buffer, slab.Wq, o.data(), wg, bg, rp, relu, yp);
      }
    }
  });
}

// Filter gradient with one input channel per group: dw[o][k] = sum over images and output positions of
// dy[o][p] x[p + tap k]. Register-blocked: OB output channels x TB taps of accumulator vectors, so each
// loaded dy vector feeds TB multiply-adds and each input vector OB. Remainder channels and taps repeat
// the block's last one (computed, not stored) so one instantiation serves every shape.
constexpr int kGradOB = S::kMaxMR >= 12 ? 4 : 2;
constexpr int kGradTB = 5;
// One output channel per group (true depthwise): a single dy vector, up to 9 taps (a whole 3x3 window).
constexpr int kGradTB1 = 9;

template <int OB, int TB>
void singleChannelGradBlock(const ConvGeom& g, const float* slabs, int64_t slabStride, int64_t Wq, const int64_t* off,
                            const float* const* dyPlane, int64_t dyStride, int64_t nb, int64_t ne, float (*out)[TB]) {
  constexpr int64_t N = S::N;
  S::V acc[OB][TB];
#pragma GCC unroll 8
  for (int o = 0; o < OB; o++)
#pragma GCC unroll 16
    for (int t = 0; t < TB; t++) acc[o][t] = S::zero();
  for (int64_t n = nb; n < ne; n++) {
    const float* slab = slabs + n * slabStride;
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const float* row = slab + oh * g.SH * Wq;
      for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
        const uint32_t bits = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
        const int64_t at = n * dyStride + oh * g.OW + ow0;
        S::V d[OB];
        if (bits == kAllLanes) {
#pragma GCC unroll 8
          for (int o = 0; o < OB; o++) d[o] = S::load(dyPlane[o] + at);
#pragma GCC unroll 16
          for (int t = 0; t < TB; t++) {
            const S::V xv = S::load(row + ow0 + off[t]);
#pragma GCC unroll 8
            for (int o = 0; o < OB; o++) acc[o][t] = S::fma(d[o], xv, acc[o][t]);
          }
        } else {
          // Lanes past the row are masked off: the next row there may hold an Inf, and 0 * Inf is NaN.
          const S::M m = S::mask(bits);
#pragma GCC unroll 8
          for (int o = 0; o < OB; o++) d[o] = S::maskLoad(m, dyPlane[o] + at);
#pragma GCC unroll 16
          for (int t = 0; t < TB; t++) {
            const S::V xv = S::maskLoad(m, row + ow0 + off[t]);
#pragma GCC unroll 8
            for (int o = 0; o < OB; o++) acc[o][t] = S::fma(d[o], xv, acc[o][t]);
          }
        }
      }
    }
  }
  for (int o = 0; o < OB; o++)
    for (int t = 0; t < TB; t++) out[o][t] = S::reduceAdd(acc[o][t]);
}

template <int OB, int TB>
void singleChannelGrad(const ConvGeom& g, const float* dy, float* dw, const float* slabs, int64_t slabFloats, int64_t Wq,
                       const std::vector<int64_t>& tapOff, ThreadPool& pool) {
  const int64_t taps = g.KH * g.KW;
  const int64_t oBlocks = (g.Og + OB - 1) / OB, tBlocks = (taps + TB - 1) / TB;
  const int64_t blocks = g.G * oBlocks * tBlocks;
  // Images split across tasks (partial sums added after) only when there are too few blocks for the pool.
  const int64_t parts = blocks >= 2 * pool.size() ? 1 : std::min<int64_t>(g.N, (2 * pool.size() + blocks - 1) / blocks);
  std::vector<float> partial(static_cast<size_t>(parts * g.filterSize));
  pool.run(blocks * parts, [&](int64_t task) {
    const int64_t part = task % parts, b = task / parts;
    const int64_t tb = b % tBlocks, ob = (b / tBlocks) % oBlocks, grp = b / (tBlocks * oBlocks);
    int64_t off[TB];
    const float* dyPlane[OB];
    for (int t = 0; t < TB; t++) off[t] = tapOff[static_cast<size_t>(std::min<int64_t>(tb * TB + t, taps - 1))];
    for (int o = 0; o < OB; o++) dyPlane[o] = dy + (grp * g.Og + std::min<int64_t>(ob * OB + o, g.Og - 1)) * g.P;
    float out[OB][TB];
    singleChannelGradBlock<OB, TB>(g, slabs + grp * slabFloats, g.G * slabFloats, Wq, off, dyPlane, g.O * g.P, g.N * part / parts,
                                   g.N * (part + 1) / parts, out);
    float* dst = partial.data() + part * g.filterSize;
    for (int o = 0; o < OB && ob * OB + o < g.Og; o++)
      for (int t = 0; t < TB && tb * TB + t < taps; t++) dst[(grp * g.Og + ob * OB + o) * taps + tb * TB + t] = out[o][t];
  });
  for (int64_t i = 0; i < g.filterSize; i++) {
    float sum = 0.f;
    for (int64_t part = 0; part < parts; part++) sum += partial[static_cast<size_t>(part * g.filterSize + i)];
    dw[i] = sum;
  }
}

/**
 * Filter gradient of a convolution with one input channel per group (depthwise layers, and 1-channel
 * input layers such as LeNet's C1): every image's padded plane is copied once, then register-blocked
 * dot products run over all of them.
 */
void depthwiseFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  const int64_t rows = g.H + g.PT + g.PB;
  const int64_t slabFloats = Slab::floats(g, rows, 1);
  float* slabs = scratch(static_cast<size_t>(g.N * g.G * slabFloats), kPhaseSlot);
  pool.parallelFor(g.N * g.G, 4, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; pl++) Slab(g, 0, rows, slabs + pl * slabFloats).fill(g, x + pl * g.H * g.W, 0, 1);
  });
  const Slab slab(g, 0, rows, slabs);
  std::vector<int64_t> tapOff(static_cast<size_t>(g.KH * g.KW));
  for (int64_t kh = 0, k = 0; kh < g.KH; kh++)
    for (int64_t kw = 0; kw < g.KW; kw++) tapOff[static_cast<size_t>(k++)] = slab.tap(g, 0, kh, kw);
  if (g.Og == 1) {
    singleChannelGrad<1, kGradTB1>(g, dy, dw, slabs, slabFloats, slab.Wq, tapOff, pool);
  } else {
    singleChannelGrad<kGradOB, kGradTB>(g, dy, dw, slabs, slabFloats, slab.Wq, tapOff, pool);
  }
}
