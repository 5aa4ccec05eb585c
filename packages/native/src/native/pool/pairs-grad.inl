// ISA fragment (included by src/native/isa/kernels.inl before grad.inl, which hands it these geometries): the
// max-pool gradient of windows 2 wide at stride 2 and at most 2 high at their own row stride, none starting in
// padding (the 2x2 pool, 1D pooling by 2). Windows do not overlap, so each input cell's gradient is its
// window's dy where it is the window's first maximum (or last NaN), else 0, stored in place: no scatter, and
// no zeroing of dx first.
//
// An output row runs first on the NaN-free rule, in place on the pairs of columns as they lie in memory: each
// lane compared with its pair partner (S::swapPairs, a shuffle within 128-bit halves) says whether it leads
// its window row (the even column on a tie), the two rows' pair maxima whether the lower row leads (only
// when strictly larger), and dy is spread over the pairs by S::dupPairs (a load and an in-half shuffle): no
// deinterleave, no zip. One unordered compare per block gathers whether the row holds a NaN; if it does, the
// row is worked again by the full rule (maxPoolGradPairsExact), which overwrites every cell the first pass
// stored.

/** Whether the windows are this file's: 2 wide at stride 2, at most 2 high at their own row stride, no padding before. */
inline bool poolPairsFit(const PoolGeom& g) { return g.SW == 2 && g.WW == 2 && g.PL == 0 && g.PT == 0 && g.SH == g.WH && g.WH <= 2; }

/**
 * Windows ow0 .. ow0 + N - 1 of output row oh by the full rule: their taps in the scalar order (row by row, left
 * to right; columns past the input read -Inf), won[t] whether tap t took the lead (v > best while best is no
 * NaN, or v is a NaN: the last tap to do so wins, tap 0 where none did), each window's value in `best`, and the
 * lanes of the row's columns 2 ow0 .. (lo, hi). Returns the number of taps (2 per window row inside the input).
 * Shared by the gradient (maxPoolGradPairsExact) and the forward that records the taps (argmax.inl).
 */
SN_INLINE int pairsLeads(const PoolGeom& g, const float* x, int64_t oh, int64_t ow0, S::V& best, S::M* won, uint32_t& lo, uint32_t& hi) {
  constexpr int64_t N = S::N;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  const int64_t h0 = oh * g.SH, c = 2 * ow0;
  const int taps = 2 * static_cast<int>(std::min(g.WH, g.H - h0));
  lo = rowBits(c, g.W, N);
  hi = rowBits(c + N, g.W, N);
  S::V v[4] = {ninf, ninf, ninf, ninf};
  for (int r = 0; 2 * r < taps; r++) {
    const float* p = x + (h0 + r) * g.W + c;
    const S::V a = loadOr(p, lo, ninf), b = loadOr(p + N, hi, ninf);
    v[2 * r] = S::evens(a, b);
    v[2 * r + 1] = S::odds(a, b);
  }
  best = v[0];
  won[0] = S::mask(0);
  for (int t = 1; t < taps; t++) {
    won[t] = S::maskOr(S::maskAndNot(S::greater(v[t], best), S::isNan(best)), S::isNan(v[t]));
    best = S::select(won[t], v[t], best);
  }
  return taps;
}

/** Output row oh by the full rule (the first maximum in tap order, the last NaN if the window holds any). */
void maxPoolGradPairsExact(const PoolGeom& g, const float* dy, const float* x, float* dx, int64_t oh) {
  constexpr int64_t N = S::N;
  const S::V zero = S::zero();
  const int64_t h0 = oh * g.SH;
  for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
    S::V best;
    S::M won[4];
    uint32_t lo, hi;
    const int taps = pairsLeads(g, x, oh, ow0, best, won, lo, hi);
    const S::V d = loadLanes(dy + oh * g.OW + ow0, laneBits(0, std::min<int64_t>(N, g.OW - ow0)));
    S::V grad[4];
    S::M later = S::mask(0);
    for (int t = taps - 1; t >= 1; t--) {
      grad[t] = S::select(S::maskAndNot(won[t], later), d, zero);
      later = S::maskOr(later, won[t]);
    }
    grad[0] = S::select(later, zero, d);
    for (int r = 0; 2 * r < taps; r++) {
      float* p = dx + (h0 + r) * g.W + 2 * ow0;
      storeLanes(p, lo, S::zipLo(grad[2 * r], grad[2 * r + 1]));
      storeLanes(p + N, hi, S::zipHi(grad[2 * r], grad[2 * r + 1]));
    }
  }
}

/**
 * N columns of R (1 or 2) window rows a, b holding no NaN, N/2 windows, their dy spread over the pairs in `d`:
 * ga, gb the gradient of each cell. `even`: the even lanes.
 */
template <int R>
SN_INLINE void pairsWinners(S::V a, S::V b, S::V d, S::M even, S::V& ga, S::V& gb) {
  const S::V zero = S::zero(), sa = S::swapPairs(a);
  // A lane leads its window row when larger than its partner, or as large and the even (first) one.
  const S::M leadA = S::maskOr(S::greater(a, sa), S::maskAndNot(even, S::greater(sa, a)));
  if (R == 1) {
    ga = S::select(leadA, d, zero);
    return;
  }
  const S::V sb = S::swapPairs(b);
  const S::M leadB = S::maskOr(S::greater(b, sb), S::maskAndNot(even, S::greater(sb, b)));
  // The lower row wins only with a strictly larger maximum (both lanes of a pair hold the pair's maximum).
  const S::M lower = S::greater(S::max(b, sb), S::max(a, sa));
  ga = S::select(S::maskAndNot(leadA, lower), d, zero);
  gb = S::select(S::maskAnd(leadB, lower), d, zero);
}

/**
 * One output row's windows over R window rows (x0, x1 and their dx rows d0, d1), columns [0, cols) with cols
 * <= 2 OW, by the NaN-free rule; false if the rows hold a NaN (the row must then be worked again).
 */
template <int R>
bool maxPoolGradPairsRow(const float* x0, const float* x1, const float* dy, float* d0, float* d1, int64_t cols, int64_t OW) {
  constexpr int64_t N = S::N;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  const S::M even = S::mask(0x55555555u & kAllLanes);
  S::M nan = S::mask(0);
  S::V ga = ninf, gb = ninf;
  int64_t c = 0;
  for (; c + N <= cols; c += N) {
    const S::V a = S::load(x0 + c), b = R == 2 ? S::load(x1 + c) : a;
    nan = S::maskOr(nan, S::unordered(a, b));
    pairsWinners<R>(a, b, S::dupPairs(dy + c / 2), even, ga, gb);
    S::store(d0 + c, ga);
    if (R == 2) S::store(d1 + c, gb);
  }
  if (c < cols) {
    // The row's last columns: -Inf past them (a window's second column past the input never leads), dy 0
    // past the last window.
    const uint32_t bits = laneBits(0, cols - c);
    const S::V a = loadOr(x0 + c, bits, ninf), b = R == 2 ? loadOr(x1 + c, bits, ninf) : a;
    nan = S::maskOr(nan, S::unordered(a, b));
    float d[N / 2] = {};
    std::copy(dy + c / 2, dy + std::min(c / 2 + N / 2, OW), d);
    pairsWinners<R>(a, b, S::dupPairs(d), even, ga, gb);
    storeLanes(d0 + c, bits, ga);
    if (R == 2) storeLanes(d1 + c, bits, gb);
  }
  return S::bits(nan) == 0;
}

void maxPoolGradPairs(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  // The windows' columns [0, 2 OW) of their rows are stored below; the rest of dx is in no window.
  const int64_t covered = std::min(g.OH * g.SH, g.H), cols = std::min(2 * g.OW, g.W);
  for (int64_t h = 0; h < covered; h++) std::fill(dx + h * g.W + cols, dx + (h + 1) * g.W, 0.f);
  std::fill(dx + covered * g.W, dx + g.H * g.W, 0.f);
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t h0 = oh * g.SH;
    if (h0 >= g.H) break;  // core's plans have no window past the input; a geometry built in C++ could
    const float* x0 = x + h0 * g.W;
    float* d0 = dx + h0 * g.W;
    const float* d = dy + oh * g.OW;
    const bool done = std::min(g.WH, g.H - h0) == 2 ? maxPoolGradPairsRow<2>(x0, x0 + g.W, d, d0, d0 + g.W, cols, g.OW)
                                                    : maxPoolGradPairsRow<1>(x0, nullptr, d, d0, nullptr, cols, g.OW);
    if (!done) maxPoolGradPairsExact(g, dy, x, dx, oh);
  }
}

