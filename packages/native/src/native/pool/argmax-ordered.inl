// ISA fragment (included by src/native/isa/<isa>.cc after argmax.inl, whose full-rule rows it falls back on):
// MaxPool2DArgmax's forward for the ResNet 3x3/2 pad 1 pool (window3s2.inl's geometry) and the 2x2 pairs
// (poolPairsFit), in the plain forward's row walk: the window rows are combined first, column by column, each
// column keeping the first row that holds its maximum (one compare and two blends per row), then the columns
// are deinterleaved once (S::evensLoose: on AVX2 the in-half shuffle alone, the lane order restored once per
// stored vector), and of the window's columns holding its maximum the one whose tap comes first in row-major
// order wins. That tap is carried as a key, minus the tap code (so a max picks the first), per column and row:
// key -(3r + kw) of a column combined over rows is -3r less kw, kw being the column's place in the window.
// Without a NaN this is the gradient's rule (the first maximum in row-major tap order), ties, -Inf and
// padding included; an output row whose input rows hold a NaN (one unordered compare per two loaded vectors
// tells) is worked again by argmax.inl's per-tap search of the full rule, which overwrites it.

/** Even lanes `even`, odd lanes `odd`. */
SN_INLINE S::V byParity(float even, float odd) { return S::select(S::mask(0x55555555u & kAllLanes), S::set1(even), S::set1(odd)); }

/**
 * Columns [c, c + 2N) of R window rows, NaN-free, combined into lo, hi (each column's maximum) and their keys
 * klo, khi (rowKey[r] of the first row holding it); columns past the row's end read -Inf. `nan` gathers the
 * lanes where a loaded column is NaN (the results are then not the rule's).
 */
template <int R, bool Full>
SN_INLINE void combineWithKeys(const float* const* rows, int64_t W, int64_t c, const S::V* rowKey, S::V& lo, S::V& hi, S::V& klo, S::V& khi,
                               S::M& nan) {
  constexpr int64_t N = S::N;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  // Full: the 2N columns lie inside the row (plain loads, no lane tests).
  const uint32_t inLo = Full ? kAllLanes : rowBits(c, W, N), inHi = Full ? kAllLanes : rowBits(c + N, W, N);
  lo = loadOr(rows[0] + c, inLo, ninf);
  hi = loadOr(rows[0] + c + N, inHi, ninf);
  klo = khi = rowKey[0];
  if (R == 1) nan = S::maskOr(nan, S::unordered(lo, hi));
  for (int r = 1; r < R; r++) {
    const S::V a = loadOr(rows[r] + c, inLo, ninf), b = loadOr(rows[r] + c + N, inHi, ninf);
    // Rows 0 and 1 by lanes, row 2's two vectors together (one unordered compare per 2 vectors).
    nan = S::maskOr(nan, r == 1 ? S::unordered(lo, a) : S::unordered(a, b));
    if (r == 1) nan = S::maskOr(nan, S::unordered(hi, b));
    // max(a, lo) is a where a > lo, else lo: a later row takes the column only when strictly larger.
    klo = S::select(S::greater(a, lo), rowKey[r], klo);
    khi = S::select(S::greater(b, hi), rowKey[r], khi);
    lo = S::max(a, lo);
    hi = S::max(b, hi);
  }
}

/** key where v is the window's maximum m, else kNoTap (below every key). */
constexpr float kNoTap = -1000.f;
SN_INLINE S::V keyIfMax(S::V v, S::V m, S::V key) { return S::select(S::equal(v, m), key, S::set1(kNoTap)); }

/**
 * One output row of window3s2 windows over R input rows (taps numbered from rows[0]; `shift` added back); false
 * if the rows hold a NaN, when the row must be worked again by the full rule. `spill`: the row's last vectors are
 * stored whole, into the next output row. `Values`: store the windows' maxima into y (else y is not touched).
 */
template <int R, bool Values>
bool window3s2ArgmaxOrderedRow(const float* const* rows, float shift, int64_t W, int64_t OW, float* y, float* taps, bool spill) {
  constexpr int64_t N = S::N;
  // Row r's key: -(3r + 1) in the even columns (tap 1 of their window), -3r in the odd ones (tap 0 of the next
  // window; tap 2 of their own is 2 less).
  S::V rowKey[R];
  for (int r = 0; r < R; r++) rowKey[r] = byParity(static_cast<float>(-(3 * r + 1)), static_cast<float>(-3 * r));
  const S::V two = S::set1(2.f), base = S::set1(shift);
  // Column -1 (tap 0 of window 0) is padding: -Inf, and no tap.
  S::V carry = S::set1(-std::numeric_limits<float>::infinity()), carryKey = S::set1(kNoTap);
  S::M nan = S::mask(0);
  for (int64_t k0 = 0; k0 < OW; k0 += N) {
    S::V lo, hi, klo, khi;
    if (2 * (k0 + N) <= W) {
      combineWithKeys<R, true>(rows, W, 2 * k0, rowKey, lo, hi, klo, khi, nan);
    } else {
      combineWithKeys<R, false>(rows, W, 2 * k0, rowKey, lo, hi, klo, khi, nan);
    }
    const S::V v1 = S::evensLoose(lo, hi), v2 = S::oddsLoose(lo, hi), v0 = S::slideInLoose(carry, v2);
    const S::V k1 = S::evensLoose(klo, khi), k2odd = S::oddsLoose(klo, khi), k0key = S::slideInLoose(carryKey, k2odd);
    const S::V m = S::max(S::max(v1, v0), v2);
    const S::V key = S::max(S::max(keyIfMax(v0, m, k0key), keyIfMax(v1, m, k1)), keyIfMax(v2, m, S::sub(k2odd, two)));
    const uint32_t outs = spill || k0 + N <= OW ? kAllLanes : laneBits(0, OW - k0);
    if (Values) storeLanes(y + k0, outs, S::fromLoose(m));
    storeLanes(taps + k0, outs, S::fromLoose(S::sub(base, key)));
  }
  return S::bits(nan) == 0;
}

/**
 * The plane's taps and, with `Values`, its maxima y (MaxPool2DArgmax). Without (the gradient from x, which reads
 * only the taps) y is one row of scratch (OW floats) for the rows that the full rule works again.
 */
template <bool Values>
void window3s2ArgmaxOrderedPlane(const PoolGeom& g, const float* x, float* y, float* taps) {
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t hs = oh * g.SH - g.PT;
    const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + g.WH, g.H);
    float* yr = Values ? y + oh * g.OW : y;
    float* tr = taps + oh * g.OW;
    if (h1 <= h0) {
      // A window over no input row (core's plans make none; a geometry built in C++ could): no tap, -Inf.
      std::fill(tr, tr + g.OW, -1.f);
      if (Values) std::fill(yr, yr + g.OW, -std::numeric_limits<float>::infinity());
      continue;
    }
    const float* rows[3];
    const int n = static_cast<int>(h1 - h0);
    for (int r = 0; r < n; r++) rows[r] = x + (h0 + r) * g.W;
    const float shift = static_cast<float>(3 * (h0 - hs));
    // Not the plane's last row, and a row of at least N outputs: the spilled lanes stay in the next row.
    const bool spill = oh + 1 < g.OH && g.OW >= S::N;
    bool done;
    if (n == 3) {
      done = window3s2ArgmaxOrderedRow<3, Values>(rows, shift, g.W, g.OW, yr, tr, spill);
    } else if (n == 2) {
      done = window3s2ArgmaxOrderedRow<2, Values>(rows, shift, g.W, g.OW, yr, tr, spill);
    } else {
      done = window3s2ArgmaxOrderedRow<1, Values>(rows, shift, g.W, g.OW, yr, tr, spill);
    }
    if (!done) window3s2ArgmaxRows(rows, n, shift, g.W, g.OW, yr, tr);
  }
}

/** One output row of 2-wide windows at stride 2 over R (1 or 2) input rows; false if they hold a NaN (as above). */
template <int R>
bool pairsArgmaxOrderedRow(const float* const* rows, int64_t W, int64_t OW, float* y, float* taps, bool spill) {
  constexpr int64_t N = S::N;
  // Row r's key: -2r in the even columns (the window's left tap), -(2r + 1) in the odd ones.
  S::V rowKey[R];
  for (int r = 0; r < R; r++) rowKey[r] = byParity(static_cast<float>(-2 * r), static_cast<float>(-(2 * r + 1)));
  const S::V zero = S::zero();
  S::M nan = S::mask(0);
  for (int64_t k0 = 0; k0 < OW; k0 += N) {
    S::V lo, hi, klo, khi;
    if (2 * (k0 + N) <= W) {
      combineWithKeys<R, true>(rows, W, 2 * k0, rowKey, lo, hi, klo, khi, nan);
    } else {
      combineWithKeys<R, false>(rows, W, 2 * k0, rowKey, lo, hi, klo, khi, nan);
    }
    const S::V v0 = S::evensLoose(lo, hi), v1 = S::oddsLoose(lo, hi);
    const S::V m = S::max(v1, v0);
    const S::V key = S::max(keyIfMax(v0, m, S::evensLoose(klo, khi)), keyIfMax(v1, m, S::oddsLoose(klo, khi)));
    const uint32_t outs = spill || k0 + N <= OW ? kAllLanes : laneBits(0, OW - k0);
    storeLanes(y + k0, outs, S::fromLoose(m));
    storeLanes(taps + k0, outs, S::fromLoose(S::sub(zero, key)));
  }
  return S::bits(nan) == 0;
}

/** The pairs' geometry (poolPairsFit); rows holding a NaN by the full rule. */
void maxPoolArgmaxPairsPlane(const PoolGeom& g, const float* x, float* y, float* taps) {
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t h0 = oh * g.SH;
    const float* rows[2] = {x + h0 * g.W, x + (h0 + 1) * g.W};
    const bool spill = oh + 1 < g.OH && g.OW >= S::N;
    const int n = static_cast<int>(std::min(g.WH, g.H - h0));
    // A window over no input row (core's plans make none; a geometry built in C++ could) goes by the full rule.
    const bool done = n == 2   ? pairsArgmaxOrderedRow<2>(rows, g.W, g.OW, y + oh * g.OW, taps + oh * g.OW, spill)
                      : n == 1 ? pairsArgmaxOrderedRow<1>(rows, g.W, g.OW, y + oh * g.OW, taps + oh * g.OW, spill)
                               : false;
    if (!done) maxPoolArgmaxPairsRow(g, x, oh, y, taps);
  }
}

/** MaxPool2DArgmax of one plane: the 3x3/2 pad 1 rows and the pairs here, other strides 1 and 2 by argmax.inl's columns. */
void maxPoolArgmaxPlane(const PoolGeom& g, const float* x, float* y, float* taps) {
  if (maxPoolGradWindow3s2Fits(g)) return window3s2ArgmaxOrderedPlane<true>(g, x, y, taps);
  if (poolPairsFit(g)) return maxPoolArgmaxPairsPlane(g, x, y, taps);
  if (g.SW <= 2) return maxPoolArgmaxColumns(g, x, y, taps);
  maxPoolArgmaxWindows(g, x, y, taps);
}
