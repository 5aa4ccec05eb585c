// ISA fragment (included by src/native/isa/<isa>.cc after window3s2.inl, whose window3s2Fits it uses): the
// max-pool gradient of one channel plane whose windows are 3 columns wide at column stride 2 with one padding
// column on the left (ResNet's 3x3/2 pad 1 pool), at most 3 rows high, any row stride and other padding,
// from registers and without a scatter.
//
// For N outputs k0 .. k0 + N - 1 of an output row, each window row is loaded as the vectors lo, hi of 2N
// columns from column 2 k0: its evens are tap 1 (column 2k), its odds tap 2 (2k + 1), and tap 0 (2k - 1) is
// the odds one lane back (S::slideIn of the previous vectors' odds), as in the forward (window3s2.inl). The
// winning tap of each window (the first maximum in tap order, row by row and left to right, or the last NaN
// if the window holds any: PyTorch's rule, the scalar path's) is found with one compare per tap, and its dy
// is routed to it as a per-tap vector g (dy where the tap wins, else 0). Column 2k of a window row then takes
// g1[k], column 2k - 1 takes g2[k - 1] (the previous window's tap 2, slid in) plus g0[k]: two zips give the
// 2N columns from 2 k0 - 1, stored whole. The first output row to reach an input row stores it; a later
// one (windows overlapping along the column) adds to it; rows in no window are zeroed. No dx zeroing
// pass, no scattered read-modify-write per output.

/** Whether maxPoolGradWindow3s2 takes this geometry: window3s2Fits, windows at most 3 rows high. */
inline bool maxPoolGradWindow3s2Fits(const PoolGeom& g) { return window3s2Fits(g) && g.WH <= 3; }

/**
 * The winning tap of N windows as a float (0 .. T - 1): the tap that last took the lead, else tap 0. `Nan`: the
 * full rule (a NaN takes the lead, nothing else does after one); else a strict greater-than picks the first
 * maximum. `first`: lanes whose tap 0 is padding, where tap 1 takes the lead unconditionally (the scalar path
 * starts at the window's first input cell).
 */
template <int T, bool Nan>
SN_INLINE S::V window3s2Winner(const S::V* v, uint32_t first, S::V& best) {
  S::V at = S::zero();
  best = v[0];
  for (int t = 1; t < T; t++) {
    S::M w = Nan ? S::maskOr(S::maskAndNot(S::greater(v[t], best), S::isNan(best)), S::isNan(v[t])) : S::greater(v[t], best);
    if (t == 1 && first) w = S::maskOr(w, S::mask(first));
    at = S::select(w, S::set1(static_cast<float>(t)), at);
    best = S::select(w, v[t], best);
  }
  return at;
}

/**
 * The T = 3R taps v of N windows from input column c = 2 k0 over R window rows (tap 0 slid in from `prevOdd`, the
 * previous block's odds, updated here); columns outside the row read -inf. Whether a loaded column is NaN.
 */
template <int R>
SN_INLINE bool window3s2Taps(const float* const* rows, int64_t W, int64_t c, S::V* prevOdd, S::V* v) {
  constexpr int64_t N = S::N;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  const uint32_t inLo = rowBits(c, W, N), inHi = rowBits(c + N, W, N);
  S::M nan = S::mask(0);
  for (int r = 0; r < R; r++) {
    const S::V lo = loadOr(rows[r] + c, inLo, ninf), hi = loadOr(rows[r] + c + N, inHi, ninf);
    nan = S::maskOr(nan, S::unordered(lo, hi));
    const S::V odd = S::odds(lo, hi);
    v[3 * r] = S::slideIn(prevOdd[r], odd);
    v[3 * r + 1] = S::evens(lo, hi);
    v[3 * r + 2] = odd;
    prevOdd[r] = odd;
  }
  return S::bits(nan) != 0;
}

/**
 * One output row's gradient over R (1 .. 3) window rows `rows[r]` (input rows; rows past the input are left
 * out); `accumulate[r]`: that dx row holds an earlier output row's gradient, add to it, else store. `Taps`: the
 * winners are the row's recorded taps (MaxPool2DArgmax) less `shift` (3 per window row above rows[0]), not
 * found from x; a code naming no tap of these rows routes nothing.
 */
template <int R, bool Taps>
void window3s2GradRow(const float* const* rows, const float* taps, float shift, float* const* dxRows, const bool* accumulate, int64_t W, int64_t OW,
                      const float* dy) {
  constexpr int64_t N = S::N;
  constexpr int T = 3 * R;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity()), zero = S::zero();
  S::V prevOdd[R], prevG2[R];
  for (int r = 0; r < R; r++) {
    prevOdd[r] = ninf;  // column -1: the padding
    prevG2[r] = zero;
  }
  // Whether the previous block's vectors held a NaN: its last odd column is this block's first tap 0.
  bool nanBefore = false;
  // Blocks until the stored columns [2 k0 - 1, 2 k0 + 2N - 1) reach the row's end; lanes past the last output
  // read dy 0, so they route nothing (the last block may hold only column 2 OW - 1, tap 2 of output OW - 1).
  for (int64_t k0 = 0; 2 * k0 < W + 1; k0 += N) {
    const int64_t c = 2 * k0;
    const uint32_t outs = k0 + N <= OW ? kAllLanes : laneBits(0, std::max<int64_t>(0, OW - k0));
    S::V at;
    if constexpr (Taps) {
      at = S::sub(loadLanes(taps + k0, outs), S::set1(shift));
    } else {
      S::V v[T], best;
      const uint32_t first = k0 == 0 ? 1u : 0u;
      const bool nanHere = window3s2Taps<R>(rows, W, c, prevOdd, v);
      at = nanHere || nanBefore ? window3s2Winner<T, true>(v, first, best) : window3s2Winner<T, false>(v, first, best);
      nanBefore = nanHere;
    }
    const S::V d = loadLanes(dy + k0, outs);
    // dy routed to the winning tap: g[t] is dy where tap t won, else 0.
    S::V g[T];
    for (int t = 0; t < T; t++) g[t] = S::select(S::equal(at, S::set1(static_cast<float>(t))), d, zero);
    const uint32_t outLo = rowBits(c - 1, W, N), outHi = rowBits(c - 1 + N, W, N);
    for (int r = 0; r < R; r++) {
      // Column 2k - 1: the previous window's tap 2, then this window's tap 0 (the scalar path's order).
      const S::V left = S::add(S::slideIn(prevG2[r], g[3 * r + 2]), g[3 * r]);
      prevG2[r] = g[3 * r + 2];
      S::V lo = S::zipLo(left, g[3 * r + 1]), hi = S::zipHi(left, g[3 * r + 1]);
      float* p = dxRows[r] + c - 1;
      if (accumulate[r]) {
        lo = S::add(loadLanes(p, outLo), lo);
        hi = S::add(loadLanes(p + N, outHi), hi);
      }
      storeLanes(p, outLo, lo);
      storeLanes(p + N, outHi, hi);
    }
  }
}

/** The plane's gradient; `Taps`: from the recorded taps (x unused), else from x (taps unused). */
template <bool Taps>
void maxPoolGradWindow3s2(const PoolGeom& g, const float* dy, const float* x, const float* taps, float* dx) {
  const int64_t H = g.H, W = g.W;
  // Rows [0, done) of dx hold their gradient so far; rows from `done` on are not written yet.
  int64_t done = 0;
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t hs = oh * g.SH - g.PT;
    const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + g.WH, H);
    // A window over no input row (core's plans make none; a geometry built in C++ could) routes nothing.
    if (h1 <= h0) continue;
    if (h0 > done) std::fill(dx + done * W, dx + h0 * W, 0.f);
    const float* rows[3] = {};
    float* dxRows[3];
    bool accumulate[3];
    const int n = static_cast<int>(h1 - h0);
    for (int r = 0; r < n; r++) {
      if (!Taps) rows[r] = x + (h0 + r) * W;
      dxRows[r] = dx + (h0 + r) * W;
      accumulate[r] = h0 + r < done;
    }
    const float* d = dy + oh * g.OW;
    const float* t = Taps ? taps + oh * g.OW : nullptr;
    const float shift = static_cast<float>(3 * (h0 - hs));
    if (n == 3) {
      window3s2GradRow<3, Taps>(rows, t, shift, dxRows, accumulate, W, g.OW, d);
    } else if (n == 2) {
      window3s2GradRow<2, Taps>(rows, t, shift, dxRows, accumulate, W, g.OW, d);
    } else {
      window3s2GradRow<1, Taps>(rows, t, shift, dxRows, accumulate, W, g.OW, d);
    }
    done = std::max(done, h1);
  }
  std::fill(dx + done * W, dx + H * W, 0.f);
}
