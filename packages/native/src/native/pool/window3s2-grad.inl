// ISA fragment (included by src/native/isa/<isa>.cc after window3s2.inl, whose window3s2Fits it uses): the
// max-pool gradient of one channel plane whose windows are 3 columns wide at column stride 2 with one padding
// column on the left (ResNet's 3x3/2 pad 1 pool), at most 3 rows high, any row stride and other padding,
// from registers and without a scatter; and the winner search that MaxPool2DArgmax (argmax.inl) runs.
//
// Winners: for N outputs k0 .. k0 + N - 1 of an output row, each window row is loaded as the vectors lo, hi of
// 2N columns from column 2 k0: its evens are tap 1 (column 2k), its odds tap 2 (2k + 1), and tap 0 (2k - 1) is
// the odds one lane back (S::slideIn of the previous vectors' odds), as in the forward (window3s2.inl). The
// winning tap of each window (the first maximum in tap order, row by row and left to right, or the last NaN
// if the window holds any: PyTorch's rule, the scalar path's) is found with one compare per tap.
//
// Gradient: from the winners as taps (recorded by MaxPool2DArgmax, or by the same search for the gradient from
// x), N windows at a time write dx columns [2 k0, 2 k0 + 2N) of each window row: column 2k takes dy where tap 1
// of window k won, column 2k + 1 dy where its tap 2 won plus dy where tap 0 of window k + 1 won. The taps and
// dy of windows k0 + 1 .. are loaded one float on, so nothing is slid across the vector, and all are loaded in
// S::zipOrder (one permute per load), so that the in-lane zips zip4Lo / zip4Hi give the columns in order: on
// AVX2 no cross-lane shuffle per row (two zips of the old layout cost a vperm2f128 each, its slide another).
// The first output row to reach an input row stores it; a later one (windows overlapping along the column)
// adds to it; rows in no window are zeroed. No dx zeroing pass, no scattered read-modify-write per output.

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
 * N windows k0 .. k0 + N - 1 of one output row routed into dx columns [2 k0, 2 k0 + 2N) of R window rows: column
 * 2k takes tap 1 of window k, column 2k + 1 tap 2 of window k, then tap 0 of window k + 1 (the scalar path's
 * order). `at`, `d`: the windows' taps (numbered from rows[0]) and dy; `atNext`, `dNext` the same one window on,
 * loaded one float on (no slide). All four are in S::zipOrder, so that the in-lane zips (zip4Lo/zip4Hi) give the
 * columns in order. `lo`, `hi`: the columns' lanes inside the row; `accumulate[r]`: add to that dx row, else store.
 */
template <int R>
SN_INLINE void window3s2GradBlock(S::V at, S::V d, S::V atNext, S::V dNext, float* const* dxRows, const bool* accumulate, int64_t c,
                                  uint32_t lo, uint32_t hi) {
  constexpr int64_t N = S::N;
  for (int r = 0; r < R; r++) {
    const S::V even = S::keep(S::equal(at, S::set1(static_cast<float>(3 * r + 1))), d);
    const S::V odd = S::add(S::keep(S::equal(at, S::set1(static_cast<float>(3 * r + 2))), d),
                            S::keep(S::equal(atNext, S::set1(static_cast<float>(3 * r))), dNext));
    S::V a = S::zip4Lo(even, odd), b = S::zip4Hi(even, odd);
    float* p = dxRows[r] + c;
    if (accumulate[r]) {
      a = S::add(loadLanes(p, lo), a);
      b = S::add(loadLanes(p + N, hi), b);
    }
    storeLanes(p, lo, a);
    storeLanes(p + N, hi, b);
  }
}

/**
 * One output row's gradient over R (1 .. 3) window rows from its windows' taps (MaxPool2DArgmax's codes less
 * `shift`, 3 per window row above the first input row; a code naming no tap of these rows routes nothing) and
 * dy. Blocks whose windows, the one after them and columns all lie inside the row load and store whole vectors.
 */
template <int R>
void window3s2GradRow(const float* taps, float shift, float* const* dxRows, const bool* accumulate, int64_t W, int64_t OW, const float* dy) {
  constexpr int64_t N = S::N;
  const S::V sh = S::set1(shift);
  int64_t k0 = 0;
  for (; k0 + N < OW && 2 * k0 + 2 * N <= W; k0 += N) {
    const S::V at = S::zipOrder(S::sub(S::load(taps + k0), sh)), d = S::zipOrder(S::load(dy + k0));
    const S::V atNext = S::zipOrder(S::sub(S::load(taps + k0 + 1), sh)), dNext = S::zipOrder(S::load(dy + k0 + 1));
    window3s2GradBlock<R>(at, d, atNext, dNext, dxRows, accumulate, 2 * k0, kAllLanes, kAllLanes);
  }
  // The rest of the row's columns; lanes past the last output read dy 0 and route nothing.
  for (; 2 * k0 < W; k0 += N) {
    const uint32_t outs = laneBits(0, std::min<int64_t>(N, OW - k0)), next = laneBits(0, std::min<int64_t>(N, OW - k0 - 1));
    const S::V at = S::zipOrder(S::sub(loadLanes(taps + k0, outs), sh)), d = S::zipOrder(loadLanes(dy + k0, outs));
    const S::V atNext = S::zipOrder(S::sub(loadLanes(taps + k0 + 1, next), sh)), dNext = S::zipOrder(loadLanes(dy + k0 + 1, next));
    window3s2GradBlock<R>(at, d, atNext, dNext, dxRows, accumulate, 2 * k0, rowBits(2 * k0, W, N), rowBits(2 * k0 + N, W, N));
  }
}

/**
 * The plane walk of the window3s2 gradients (max from taps, average): output row oh's windows cover input rows
 * [h0, h0 + n); `row(oh, n, shift, dxRows, accumulate)` writes them (shift: 3 per window row above h0). The first
 * output row to reach an input row stores it, a later one adds to it; rows in no window are zeroed.
 */
template <class Row>
void window3s2GradPlane(const PoolGeom& g, float* dx, Row row) {
  const int64_t H = g.H, W = g.W;
  // Rows [0, done) of dx hold their gradient so far; rows from `done` on are not written yet.
  int64_t done = 0;
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t hs = oh * g.SH - g.PT;
    const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + g.WH, H);
    // A window over no input row (core's plans make none; a geometry built in C++ could) routes nothing.
    if (h1 <= h0) continue;
    if (h0 > done) std::fill(dx + done * W, dx + h0 * W, 0.f);
    float* dxRows[3];
    bool accumulate[3];
    const int n = static_cast<int>(h1 - h0);
    for (int r = 0; r < n; r++) {
      dxRows[r] = dx + (h0 + r) * W;
      accumulate[r] = h0 + r < done;
    }
    row(oh, n, static_cast<float>(3 * (h0 - hs)), dxRows, accumulate);
    done = std::max(done, h1);
  }
  std::fill(dx + done * W, dx + H * W, 0.f);
}

/** The plane's gradient from the taps MaxPool2DArgmax recorded (x unused; the gradient from x records them first). */
void maxPoolGradWindow3s2(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
  window3s2GradPlane(g, dx, [&](int64_t oh, int n, float shift, float* const* dxRows, const bool* accumulate) {
    const float* d = dy + oh * g.OW;
    const float* t = taps + oh * g.OW;
    if (n == 3) {
      window3s2GradRow<3>(t, shift, dxRows, accumulate, g.W, g.OW, d);
    } else if (n == 2) {
      window3s2GradRow<2>(t, shift, dxRows, accumulate, g.W, g.OW, d);
    } else {
      window3s2GradRow<1>(t, shift, dxRows, accumulate, g.W, g.OW, d);
    }
  });
}
