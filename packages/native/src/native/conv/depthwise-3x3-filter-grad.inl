// ISA fragment (see README.md): filter gradient of 3x3 depthwise layers (one input and one output channel
// per group) at unit strides and dilation, each plane read in place (depthwise-3x3.inl: depthwise3x3Fits,
// dw3Masks). dw[kh][kw] = sum over images and output positions of dy[oh][ow]
// x[oh - PT + kh][ow - PL + kw].

/**
 * Vector columns whose three shifts and output lanes all lie inside the plane: [lo, hi) of the OW / N
 * (rounded up) vector columns, the rest masked (lo = hi = 0 where none is whole).
 */
void dw3WholeColumns(int64_t W, int64_t OW, int64_t PL, int64_t* lo, int64_t* hi) {
  const int64_t vectors = (OW + S::N - 1) / S::N;
  *lo = *hi = 0;
  bool seen = false;
  for (int64_t j = 0; j < vectors; j++) {
    uint32_t bits[3];
    const uint32_t lanes = laneBits(0, std::min<int64_t>(S::N, OW - j * S::N));
    if (!dw3Masks(j * S::N - PL, W, lanes, bits)) continue;
    if (!seen) *lo = j;
    seen = true;
    *hi = j + 1;
  }
}

/**
 * Adds to acc[kh * 3 + kw] the products of one input row's three column shifts (xr: at the vector's input
 * column) with the dy vectors d[kh] of the output rows whose tap kh reads that row: 3 shifts and 3 dy
 * vectors loaded per 9 multiply-adds, each into its own sum.
 */
SN_INLINE void dw3GradVector(const float* xr, const float* const* d, S::V* acc) {
  S::V dv[3];
#pragma GCC unroll 3
  for (int kh = 0; kh < 3; kh++) dv[kh] = S::load(d[kh]);
#pragma GCC unroll 3
  for (int kw = 0; kw < 3; kw++) {
    const S::V v = S::load(xr + kw);
#pragma GCC unroll 3
    for (int kh = 0; kh < 3; kh++) acc[kh * 3 + kw] = S::fma(dv[kh], v, acc[kh * 3 + kw]);
  }
}

/**
 * dw3GradVector at a plane's left or right edge vector (Dw3Edge Left, Right): the shift that reaches one
 * column past the row is made in registers from its neighbour, as in the forward, instead of the masked
 * loads of dw3GradEdge (two of a 56-column row's seven 8-lane vectors took those before).
 */
template <Dw3Edge E>
SN_INLINE void dw3GradSlid(const float* xr, const float* const* d, S::V* acc) {
  S::V dv[3], v[3];
#pragma GCC unroll 3
  for (int kh = 0; kh < 3; kh++) dv[kh] = S::load(d[kh]);
  dw3Shifts<E>(xr, nullptr, v);
#pragma GCC unroll 3
  for (int kw = 0; kw < 3; kw++) {
#pragma GCC unroll 3
    for (int kh = 0; kh < 3; kh++) acc[kh * 3 + kw] = S::fma(dv[kh], v[kw], acc[kh * 3 + kw]);
  }
}

/**
 * dw3GradVector at a vector column with lanes outside the plane: the shifts masked to bits[kw], the dy
 * vectors to dyBits. On 16 registers each dy vector is loaded where it is used, so that the 9 sums stay
 * in registers beside the masks (kept in registers, the sums were stored and reloaded at every edge vector).
 */
SN_INLINE void dw3GradEdge(const float* xr, const float* const* d, const uint32_t* bits, uint32_t dyBits, S::V* acc) {
  constexpr bool kRegisters32 = S::kMaxMR >= 12;
  const S::M dm = S::mask(dyBits);
  S::V dv[3];
  if constexpr (kRegisters32) {
#pragma GCC unroll 3
    for (int kh = 0; kh < 3; kh++) dv[kh] = S::maskLoad(dm, d[kh]);
  }
#pragma GCC unroll 3
  for (int kw = 0; kw < 3; kw++) {
    const S::V v = S::maskLoad(S::mask(bits[kw]), xr + kw);
#pragma GCC unroll 3
    for (int kh = 0; kh < 3; kh++) acc[kh * 3 + kw] = S::fma(kRegisters32 ? dv[kh] : S::maskLoad(dm, d[kh]), v, acc[kh * 3 + kw]);
  }
}

/** Input rows per pass whose 9 sums are added to the totals after it (so that float sums stay short). */
constexpr int64_t kDw3GradRows = 8;

/**
 * Adds to total[k] the 9 tap sums of input rows [i0, i1) of one image (xp, dp: its x and dy planes), row by
 * row (the order the hardware prefetches), the sums in registers. Output rows outside the plane read
 * dyZeros; bits: the three shift masks of each vector column, edges its Dw3Edge, whole columns [lo, hi).
 */
SN_INLINE void dw3GradRows(const ConvGeom& g, const float* xp, const float* dp, int64_t i0, int64_t i1, int64_t lo, int64_t hi, const uint32_t* bits,
                           const Dw3Edge* edges, const float* dyZeros, S::V* total) {
  constexpr int64_t N = S::N;
  const int64_t W = g.W, OH = g.OH, OW = g.OW, PT = g.PT, PL = g.PL;
  const int64_t vectors = (OW + N - 1) / N;
  S::V acc[9];
#pragma GCC unroll 9
  for (int k = 0; k < 9; k++) acc[k] = S::zero();
  for (int64_t ih = i0; ih < i1; ih++) {
    const float* dRow[3];
    for (int kh = 0; kh < 3; kh++) {
      const int64_t oh = ih + PT - kh;
      dRow[kh] = oh >= 0 && oh < OH ? dp + oh * OW : dyZeros;
    }
    const float* xr = xp + ih * W - PL;
    for (int64_t j = 0; j < vectors; j++) {
      const int64_t c = j * N;
      const float* d[3] = {dRow[0] + c, dRow[1] + c, dRow[2] + c};
      if (j >= lo && j < hi) {
        dw3GradVector(xr + c, d, acc);
      } else if (edges[j] == Dw3Edge::Left) {
        dw3GradSlid<Dw3Edge::Left>(xr + c, d, acc);
      } else if (edges[j] == Dw3Edge::Right) {
        dw3GradSlid<Dw3Edge::Right>(xr + c, d, acc);
      } else {
        dw3GradEdge(xr + c, d, bits + 3 * j, laneBits(0, std::min<int64_t>(N, OW - c)), acc);
      }
    }
  }
#pragma GCC unroll 9
  for (int k = 0; k < 9; k++) total[k] = S::add(total[k], acc[k]);
}

/**
 * The 9 sums of dw for one group over the images [nb, ne): x and dy planes `stride` planes apart, reduced
 * across lanes once at the end. Input rows outside the plane add nothing and are skipped; output rows
 * outside it read dyZeros (OW zeros).
 */
void dw3GradGroup(const ConvGeom& g, const float* x, const float* dy, int64_t stride, int64_t nb, int64_t ne, const float* dyZeros, float* out) {
  constexpr int64_t N = S::N;
  const int64_t vectors = (g.OW + N - 1) / N;
  int64_t lo, hi;
  dw3WholeColumns(g.W, g.OW, g.PL, &lo, &hi);
  std::vector<uint32_t> bits(static_cast<size_t>(3 * vectors));
  std::vector<Dw3Edge> edges(static_cast<size_t>(vectors));
  for (int64_t j = 0; j < vectors; j++) {
    const uint32_t lanes = laneBits(0, std::min<int64_t>(N, g.OW - j * N));
    uint32_t* b = &bits[static_cast<size_t>(3 * j)];
    dw3Masks(j * N - g.PL, g.W, lanes, b);
    edges[static_cast<size_t>(j)] = dw3Edge(b, lanes);
  }
  // Input rows that some output row's window holds.
  const int64_t ih0 = std::max<int64_t>(0, -g.PT), ih1 = std::min<int64_t>(g.H, g.OH - g.PT + 2);
  S::V total[9];
  for (int k = 0; k < 9; k++) total[k] = S::zero();
  for (int64_t n = nb; n < ne; n++) {
    const float* xp = x + n * stride * g.H * g.W;
    const float* dp = dy + n * stride * g.OH * g.OW;
    for (int64_t i0 = ih0; i0 < ih1; i0 += kDw3GradRows)
      dw3GradRows(g, xp, dp, i0, std::min(ih1, i0 + kDw3GradRows), lo, hi, bits.data(), edges.data(), dyZeros, total);
  }
  for (int k = 0; k < 9; k++) out[k] = S::reduceAdd(total[k]);
}

/**
 * Filter gradient: one task per group over every image, or, with fewer groups than two per thread, per
 * group and run of images, whose partial sums are added in a fixed order. x and dy are read once each.
 * (The avx512 path hands these layers to the avx2 path's: conv/dispatch.inl depthwise3x3FilterGradByEightLanes.)
 */
void depthwise3x3FilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  const int64_t parts = g.G >= 2 * pool.size() ? 1 : std::min<int64_t>(g.N, (2 * pool.size() + g.G - 1) / g.G);
  std::vector<float> partial(static_cast<size_t>(parts * g.G * 9));
  pool.run(g.G * parts, [&](int64_t task) {
    const int64_t part = task % parts, grp = task / parts;
    float* dyZeros = scratch(static_cast<size_t>(g.OW), kSlabSlot);
    std::fill(dyZeros, dyZeros + g.OW, 0.f);
    dw3GradGroup(g, x + grp * g.H * g.W, dy + grp * g.P, g.G, g.N * part / parts, g.N * (part + 1) / parts, dyZeros,
                 partial.data() + (part * g.G + grp) * 9);
  });
  for (int64_t i = 0; i < g.G * 9; i++) {
    float sum = 0.f;
    for (int64_t part = 0; part < parts; part++) sum += partial[static_cast<size_t>(part * g.G * 9 + i)];
    dw[i] = sum;
  }
}
