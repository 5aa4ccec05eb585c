// ISA fragment (see README.md): depthwise layers (one input and one output channel per group).
// Memory-bound, so no tiling machinery: per channel plane, each tap's weight broadcast once and N
// output columns per vector; the filter gradient is a dot product of dy with the shifted input.

void depthwisePlane(const ConvGeom& g, const float* slab, int64_t Wq, const int64_t* off, const float* w, float bias, bool relu,
                    float* out) {
  constexpr int64_t N = S::N;
  const int64_t taps = g.KH * g.KW;
  const S::V zero = S::zero(), b = S::set1(bias);
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const float* row = slab + oh * g.SH * Wq;
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      S::V acc = zero;
      for (int64_t k = 0; k < taps; k++) acc = S::fma(S::set1(w[k]), S::load(row + ow0 + off[k]), acc);
      acc = S::add(acc, b);
      if (relu) acc = S::max(zero, acc);
      storeLanes(out + oh * g.OW + ow0, laneBits(0, std::min(N, g.OW - ow0)), acc);
    }
  }
}

void depthwiseForward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* y, ThreadPool& pool) {
  const int64_t rows = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  const int64_t taps = g.KH * g.KW;
  // Planes per task: about 64K outputs, so a task outweighs its dispatch.
  const int64_t planes = g.N * g.G;
  const int64_t per = std::max<int64_t>(1, std::min<int64_t>(planes / (2 * pool.size()) + 1, (int64_t{1} << 16) / std::max<int64_t>(1, g.P)));
  pool.run((planes + per - 1) / per, [&](int64_t t) {
    float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, 1)), kSlabSlot);
    std::vector<int64_t> o(static_cast<size_t>(taps));
    for (int64_t pl = t * per; pl < std::min(planes, (t + 1) * per); pl++) {
      const int64_t n = pl / g.G, grp = pl % g.G;
      Slab slab(g, 0, rows, buffer);
      slab.fill(g, x + n * g.C * g.H * g.W, grp, 1);
      for (int64_t kh = 0, k = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++) o[static_cast<size_t>(k++)] = slab.tap(g, 0, kh, kw);
      depthwisePlane(g, buffer, slab.Wq, o.data(), w + grp * taps, bias ? bias[grp] : 0.f, relu, y + (n * g.O + grp) * g.P);
    }
  });
}

/** Depthwise filter gradient of group grp over images [nb, ne) into out (one group's rows of dw). */
void depthwiseFilterGroup(const ConvGeom& g, const float* x, const float* dy, int64_t grp, int64_t nb, int64_t ne, float* out) {
  constexpr int64_t N = S::N;
  const int64_t taps = g.KH * g.KW;
  const int64_t rows = g.H + g.PT + g.PB;
  float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, 1)), kSlabSlot);
  std::vector<int64_t> off(static_cast<size_t>(taps));
  // N partial sums per (output channel, tap), kept in memory (their count is not fixed).
  std::vector<float> acc(static_cast<size_t>(g.Og * taps * N), 0.f);
  for (int64_t n = nb; n < ne; n++) {
    Slab slab(g, 0, rows, buffer);
    slab.fill(g, x + n * g.C * g.H * g.W, grp, 1);
    for (int64_t kh = 0, k = 0; kh < g.KH; kh++)
      for (int64_t kw = 0; kw < g.KW; kw++) off[static_cast<size_t>(k++)] = slab.tap(g, 0, kh, kw);
    for (int64_t o = 0; o < g.Og; o++) {
      const float* d = dy + (n * g.O + grp * g.Og + o) * g.P;
      float* a = acc.data() + o * taps * N;
      for (int64_t oh = 0; oh < g.OH; oh++) {
        for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
          const uint32_t bits = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
          const S::M m = S::mask(bits);
          const S::V dv = bits == kAllLanes ? S::load(d + oh * g.OW + ow0) : S::maskLoad(m, d + oh * g.OW + ow0);
          const float* base = buffer + oh * g.SH * slab.Wq + ow0;
          for (int64_t k = 0; k < taps; k++) {
            // Lanes past the row are masked off: the next row there may hold an Inf, and 0 * Inf is NaN.
            const float* src = base + off[static_cast<size_t>(k)];
            const S::V xv = bits == kAllLanes ? S::load(src) : S::maskLoad(m, src);
            S::store(a + k * N, S::fma(dv, xv, S::load(a + k * N)));
          }
        }
      }
    }
  }
  for (int64_t o = 0; o < g.Og; o++)
    for (int64_t k = 0; k < taps; k++) out[(grp * g.Og + o) * taps + k] = S::reduceAdd(S::load(acc.data() + (o * taps + k) * N));
}

/**
 * Filter gradient of a convolution with one input channel per group (depthwise): for each group and
 * tap, a dot product of dy with the shifted input over every output position, N positions a vector.
 * With few groups (a 1-channel input layer) images are split across threads too, partial sums added after.
 */
void depthwiseFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  const int64_t parts = g.G >= 2 * pool.size() ? 1 : std::max<int64_t>(1, std::min<int64_t>(g.N, pool.size()));
  std::vector<float> partial(static_cast<size_t>(parts * g.filterSize));
  pool.run(g.G * parts, [&](int64_t t) {
    const int64_t grp = t / parts, part = t % parts;
    depthwiseFilterGroup(g, x, dy, grp, g.N * part / parts, g.N * (part + 1) / parts, partial.data() + part * g.filterSize);
  });
  for (int64_t i = 0; i < g.filterSize; i++) {
    float sum = 0.f;
    for (int64_t part = 0; part < parts; part++) sum += partial[static_cast<size_t>(part * g.filterSize + i)];
    dw[i] = sum;
  }
}
