// ISA fragment (included by src/native/isa/<isa>.cc after window3s2-grad.inl): max pooling of one channel plane
// that also records each window's selected tap, kh * WW + kw in the unclipped window (its last NaN, else its
// first maximum in row-major tap order: the gradient's rule), as float: MaxPool2DArgmax, the training forward.
// The full rule, tap by tap: the 3x3 stride 2 pad 1 pool (ResNet's) as window3s2-grad.inl finds its winners and
// windows 2 wide at stride 2 that do not overlap as maxPoolGradPairs does (both only for output rows whose input
// rows hold a NaN: argmax-ordered.inl runs the others); other strides 1 and 2 along the row N windows at a time
// as grad.inl's maxPoolGradColumns does; wider strides window by window.

/** One output row of window3s2 windows over R input rows (taps numbered from rows[0]; `shift` added back). */
template <int R>
void window3s2ArgmaxRow(const float* const* rows, float shift, int64_t W, int64_t OW, float* y, float* taps) {
  constexpr int64_t N = S::N;
  constexpr int T = 3 * R;
  S::V prevOdd[R];
  for (int r = 0; r < R; r++) prevOdd[r] = S::set1(-std::numeric_limits<float>::infinity());
  bool nanBefore = false;
  for (int64_t k0 = 0; k0 < OW; k0 += N) {
    S::V v[T], best;
    const bool nanHere = window3s2Taps<R>(rows, W, 2 * k0, prevOdd, v);
    const uint32_t first = k0 == 0 ? 1u : 0u;
    const S::V at = nanHere || nanBefore ? window3s2Winner<T, true>(v, first, best) : window3s2Winner<T, false>(v, first, best);
    nanBefore = nanHere;
    const uint32_t outs = k0 + N <= OW ? kAllLanes : laneBits(0, OW - k0);
    storeLanes(y + k0, outs, best);
    storeLanes(taps + k0, outs, S::add(at, S::set1(shift)));
  }
}

/** window3s2ArgmaxRow for n (1 .. 3) input rows: argmax-ordered.inl's rows whose inputs hold a NaN. */
void window3s2ArgmaxRows(const float* const* rows, int n, float shift, int64_t W, int64_t OW, float* y, float* taps) {
  if (n == 3) {
    window3s2ArgmaxRow<3>(rows, shift, W, OW, y, taps);
  } else if (n == 2) {
    window3s2ArgmaxRow<2>(rows, shift, W, OW, y, taps);
  } else {
    window3s2ArgmaxRow<1>(rows, shift, W, OW, y, taps);
  }
}

/** Output row oh of 2-wide windows at stride 2 (maxPoolGradPairs' geometry) by the full rule. */
void maxPoolArgmaxPairsRow(const PoolGeom& g, const float* x, int64_t oh, float* y, float* taps) {
  constexpr int64_t N = S::N;
  for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
    S::V best;
    S::M won[4];
    uint32_t lo, hi;
    const int count = pairsLeads(g, x, oh, ow0, best, won, lo, hi);
    S::V at = S::zero();
    for (int t = 1; t < count; t++) at = S::select(won[t], S::set1(static_cast<float>(t)), at);
    const uint32_t outs = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
    storeLanes(y + oh * g.OW + ow0, outs, best);
    storeLanes(taps + oh * g.OW + ow0, outs, at);
  }
}

/** Any geometry, window by window in the scalar tap order (strides other than 1 and 2 along the row). */
void maxPoolArgmaxWindows(const PoolGeom& g, const float* x, float* y, float* taps) {
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t hs = oh * g.SH - g.PT;
    const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + g.WH, g.H);
    for (int64_t ow = 0; ow < g.OW; ow++) {
      const int64_t ws = ow * g.SW - g.PL;
      const int64_t w0 = std::max<int64_t>(ws, 0), w1 = std::min(ws + g.WW, g.W);
      int64_t tap = -1;
      float bv = -std::numeric_limits<float>::infinity();
      // v > NaN is false, so after a NaN only a later NaN moves the tap: the last NaN wins.
      for (int64_t ih = h0; ih < h1; ih++) {
        for (int64_t iw = w0; iw < w1; iw++) {
          const float v = x[ih * g.W + iw];
          if (tap < 0 || v > bv || v != v) {
            tap = (ih - hs) * g.WW + (iw - ws);
            bv = v;
          }
        }
      }
      y[oh * g.OW + ow] = bv;
      taps[oh * g.OW + ow] = static_cast<float>(tap);
    }
  }
}

/**
 * Strides 1 and 2 along the row (AlexNet's 3x3/2 unpadded, GoogLeNet's 3x3/1 and ceil-mode pools): N windows at a
 * time by the gradient's vector search (columnWinners), their values and taps stored per output row.
 */
void maxPoolArgmaxColumns(const PoolGeom& g, const float* x, float* y, float* taps) {
  constexpr int N = S::N;
  for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
    const uint32_t out = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
    const bool wide = g.WW > kMaxTaps;
    const ColumnTaps ct = wide ? ColumnTaps(g, ow0, 0, 0) : ColumnTaps(g, ow0, 0, g.WW);
    for (int64_t oh = 0; oh < g.OH; oh++) {
      S::V best, at;
      S::VI unused;
      if (wide) {
        columnWinners<false, true>(g, x, oh, ow0, nullptr, best, unused, at);
      } else if (ct.full) {
        columnWinners<true, true>(g, x, oh, ow0, &ct, best, unused, at);
      } else {
        columnWinners<false, true>(g, x, oh, ow0, &ct, best, unused, at);
      }
      storeLanes(y + oh * g.OW + ow0, out, best);
      storeLanes(taps + oh * g.OW + ow0, out, at);
    }
  }
}
