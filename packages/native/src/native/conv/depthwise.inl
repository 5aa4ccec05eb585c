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

/** Whether a KH x KW window's weights stay in registers (with 4 accumulators, within 16 registers). */
template <int KH, int KW>
constexpr bool kWeightsInRegs = KH > 0 && KH * KW <= 9;

/**
 * V output vectors at o (residual at rs, or null) from the padded rows r[0 .. KH), each read from column
 * c0: each weight in a register, each tap's input the memory operand of its multiply-add, so no loaded
 * vector is kept live (sharing them between output rows ran out of the 16 AVX2 registers and spilled).
 * KH = 0: any window, each weight broadcast once per tap for the V vectors. valid: the columns left in the
 * row from o (the vectors past it store only their lanes inside).
 */
template <int KH, int KW, int V>
SN_INLINE void depthwiseStep(int64_t kh_, int64_t kw_, const float* const* r, int64_t c0, const S::V* wv, const float* w, S::V b, float* o,
                             const float* rs, bool relu, int64_t valid) {
  constexpr int64_t N = S::N;
  S::V acc[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) acc[v] = b;
  if constexpr (KH > 0) {
#pragma GCC unroll 8
    for (int kh = 0; kh < KH; kh++) {
      const float* src = r[kh] + c0;
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; kw++) {
        S::V wk;
        if constexpr (kWeightsInRegs<KH, KW>) {
          wk = wv[kh * KW + kw];
        } else {
          wk = S::set1(w[kh * KW + kw]);
        }
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) acc[v] = S::fma(wk, S::load(src + v * N + kw), acc[v]);
      }
    }
  } else {
    for (int64_t kh = 0; kh < kh_; kh++)
      for (int64_t kw = 0; kw < kw_; kw++) {
        const S::V wk = S::set1(w[kh * kw_ + kw]);
        const float* src = r[kh] + c0 + kw;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) acc[v] = S::fma(wk, S::load(src + v * N), acc[v]);
      }
  }
  if (valid >= V * N && !rs && !relu) {
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) S::store(o + v * N, acc[v]);
    return;
  }
  const S::V zero = S::zero();
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    const uint32_t lanes = laneBits(0, std::min<int64_t>(N, valid - v * N));
    if (rs) acc[v] = S::add(acc[v], loadLanes(rs + v * N, lanes));
    if (relu) acc[v] = S::max(zero, acc[v]);
    storeLanes(o + v * N, lanes, acc[v]);
  }
}

/** Floats of one padded row of depthwiseRows' ring: every column an output vector's taps may read. */
int64_t depthwiseRowFloats(const ConvGeom& g) { return (g.OW + S::N - 1) / S::N * S::N + g.KW - 1; }

/** Slots of depthwiseRows' ring: one window's rows and the next output row's new ones. */
int64_t depthwiseRingRows(const ConvGeom& g) { return (g.KH - 1) * g.DH + 1 + g.SH; }

/**
 * Unit column stride and dilation. Each input row is copied once into a ring of zero-padded rows (PL
 * zeros before it, zeros after), so every tap of every output vector is a plain load, with no masked edge
 * vectors; rows above or below the input read the zero row after the ring. The rows the next output row
 * (block) adds are copied before this one is computed: loads that straddle stores still in flight would
 * wait for them (no store forwarding). ring: slots + 1 rows of Wr floats, zero but for the input
 * columns a previous plane left. KH, KW > 0: the window known at compile time (3x3 windows with unit
 * strides and dilation take depthwise-3x3.inl instead).
 */
template <int KH, int KW>
void depthwiseRows(const ConvGeom& g, const float* x, float* ring, const float* w, float bias, const float* res, bool relu, float* out) {
  constexpr int64_t N = S::N;
  constexpr int kV = 4;
  const int64_t kh_ = KH > 0 ? KH : g.KH, kw_ = KW > 0 ? KW : g.KW, Wr = depthwiseRowFloats(g), slots = depthwiseRingRows(g);
  // Locals, not g's fields: the vector stores may alias anything, so g would be read again after each.
  const int64_t H = g.H, W = g.W, OW = g.OW, PL = g.PL, PT = g.PT, SH = g.SH, DH = g.DH;
  const S::V b = S::set1(bias);
  S::V wv[kWeightsInRegs<KH, KW> ? KH * KW : 1];
  if constexpr (kWeightsInRegs<KH, KW>) {
#pragma GCC unroll 32
    for (int k = 0; k < KH * KW; k++) wv[k] = S::set1(w[k]);
  }
  const float* zeros = ring + slots * Wr;
  // Rows are copied in increasing order, into the slots in turn: the ones in use (a window and the next
  // row's new rows) are the last `slots` copied. at[ih]: the slot of input row ih once copied.
  std::vector<const float*> at(static_cast<size_t>(H), nullptr);
  int64_t next = 0;
  // Input columns [clo, chi) land at ring column PL + c (padding may be negative: a crop).
  const int64_t clo = std::max<int64_t>(0, -PL), chi = std::min<int64_t>(W, Wr - PL);
  auto row = [&](int64_t ih) -> const float* {
    if (ih < 0 || ih >= H) return zeros;
    if (at[static_cast<size_t>(ih)]) return at[static_cast<size_t>(ih)];
    float* slot = ring + next * Wr;
    next = next + 1 == slots ? 0 : next + 1;
    at[static_cast<size_t>(ih)] = slot;
    // An inline vector copy: a memcpy call would clobber every vector register, so the weights would live on the stack.
    const float* src = x + ih * W;
    int64_t c = clo;
    for (; c + N <= chi; c += N) S::store(slot + PL + c, S::load(src + c));
    if (c < chi) {
      const uint32_t lanes = laneBits(0, chi - c);
      storeLanes(slot + PL + c, lanes, loadLanes(src + c, lanes));
    }
    return slot;
  };
  const int64_t vectors = (OW + N - 1) / N;
  const float* fixedRows[KH > 0 ? KH : 1];
  std::vector<const float*> anyRows(KH > 0 ? 0 : static_cast<size_t>(kh_));
  const float** r = KH > 0 ? fixedRows : anyRows.data();
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t kh = 0; kh < kh_; kh++) r[kh] = row(oh * SH - PT + kh * DH);
    if (oh + 1 < g.OH)
      for (int64_t kh = 0; kh < kh_; kh++) row((oh + 1) * SH - PT + kh * DH);
    float* o = out + oh * OW;
    const float* rs = res ? res + oh * OW : nullptr;
    int64_t c = 0;
    for (; c + kV * N <= vectors * N; c += kV * N) depthwiseStep<KH, KW, kV>(kh_, kw_, r, c, wv, w, b, o + c, rs ? rs + c : nullptr, relu, OW - c);
    switch (vectors - c / N) {
      case 3:
        depthwiseStep<KH, KW, 3>(kh_, kw_, r, c, wv, w, b, o + c, rs ? rs + c : nullptr, relu, OW - c);
        break;
      case 2:
        depthwiseStep<KH, KW, 2>(kh_, kw_, r, c, wv, w, b, o + c, rs ? rs + c : nullptr, relu, OW - c);
        break;
      case 1:
        depthwiseStep<KH, KW, 1>(kh_, kw_, r, c, wv, w, b, o + c, rs ? rs + c : nullptr, relu, OW - c);
        break;
      default:
        break;
    }
  }
}

void depthwiseForward(const ConvGeom& g, const float* x, const float* w, const float* bias, const float* residual, bool relu, float* y,
                      ThreadPool& pool) {
  if (depthwise3x3Fits(g)) {
    depthwise3x3Forward(g, x, w, bias, residual, relu, y, pool);
    return;
  }
  const int64_t rows = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  const int64_t taps = g.KH * g.KW;
  // Planes per task: about 64K outputs, so a task outweighs its dispatch.
  const int64_t planes = g.N * g.G;
  const int64_t per = std::max<int64_t>(1, std::min<int64_t>(planes / (2 * pool.size()) + 1, (int64_t{1} << 16) / std::max<int64_t>(1, g.P)));
  const bool inPlace = g.SW == 1 && g.DW == 1;
  pool.run((planes + per - 1) / per, [&](int64_t t) {
    const int64_t ringFloats = (depthwiseRingRows(g) + 1) * depthwiseRowFloats(g);
    float* buffer = scratch(static_cast<size_t>(inPlace ? ringFloats : Slab::floats(g, rows, 1)), kSlabSlot);
    // The ring's padding columns and zero row stay zero; each plane rewrites only its input columns.
    if (inPlace) std::fill(buffer, buffer + ringFloats, 0.f);
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
  if (depthwise3x3Fits(g)) {
    depthwise3x3FilterGrad(g, x, dy, dw, pool);
    return;
  }
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
