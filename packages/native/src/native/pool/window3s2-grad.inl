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
// From recorded taps, windows 3 rows high at row stride 2 are walked down the plane instead, N output columns
// at a time, the row two output rows share held in registers (window3s2GradDown): each dx row stored once.

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

/**
 * Windows 3 rows high at row stride 2 (ResNet's 3x3/2): window row 2 of output row oh is window row 0 of output
 * row oh + 1, and every other input row lies in one window. N output columns (dx columns [2 k0, 2 k0 + 2N)) are
 * walked down the plane: each output row's three window rows come from one window3s2GradBlock-like pass in
 * registers (codes numbered from the window's top row, padding included, so no shift), the shared row is held
 * in registers until the next output row adds its own to it (the order of the row-by-row walk: the earlier row
 * first), and each dx row is stored once, whole, with nothing read back. `Full`: every lane inside the row.
 */
template <bool Full>
void window3s2GradDown(const PoolGeom& g, const float* dy, const float* taps, float* dx, int64_t k0) {
  constexpr int64_t N = S::N;
  const int64_t H = g.H, W = g.W, OW = g.OW, OH = g.OH, PT = g.PT, c = 2 * k0;
  const uint32_t outs = Full ? kAllLanes : laneBits(0, std::min<int64_t>(N, OW - k0));
  const uint32_t next = Full ? kAllLanes : laneBits(0, std::min<int64_t>(N, OW - k0 - 1));
  const uint32_t lo = Full ? kAllLanes : rowBits(c, W, N), hi = Full ? kAllLanes : rowBits(c + N, W, N);
  S::V heldLo = S::zero(), heldHi = S::zero();
  for (int64_t oh = 0; oh < OH; oh++) {
    const int64_t hs = 2 * oh - PT;
    const float* t = taps + oh * OW + k0;
    const float* d0 = dy + oh * OW + k0;
    const S::V at = S::zipOrder(loadLanes(t, outs)), d = S::zipOrder(loadLanes(d0, outs));
    const S::V atNext = S::zipOrder(loadLanes(t + 1, next)), dNext = S::zipOrder(loadLanes(d0 + 1, next));
    S::V a[3], b[3];
    for (int r = 0; r < 3; r++) {
      const S::V even = S::keep(S::equal(at, S::set1(static_cast<float>(3 * r + 1))), d);
      const S::V odd = S::add(S::keep(S::equal(at, S::set1(static_cast<float>(3 * r + 2))), d),
                              S::keep(S::equal(atNext, S::set1(static_cast<float>(3 * r))), dNext));
      a[r] = S::zip4Lo(even, odd);
      b[r] = S::zip4Hi(even, odd);
    }
    // Window row 0: the previous output row's row 2 (the plan's windows start inside the input or its pad, so
    // it lies inside the input from oh = 1 on), or padding above the input.
    if (hs >= 0) {
      if (oh > 0) {
        a[0] = S::add(heldLo, a[0]);
        b[0] = S::add(heldHi, b[0]);
      }
      float* p = dx + hs * W + c;
      storeLanes(p, lo, a[0]);
      storeLanes(p + N, hi, b[0]);
    }
    if (hs + 1 >= 0 && hs + 1 < H) {
      float* p = dx + (hs + 1) * W + c;
      storeLanes(p, lo, a[1]);
      storeLanes(p + N, hi, b[1]);
    }
    heldLo = a[2];
    heldHi = b[2];
  }
  const int64_t last = 2 * (OH - 1) - PT + 2;
  if (last < H) {
    float* p = dx + last * W + c;
    storeLanes(p, lo, heldLo);
    storeLanes(p + N, hi, heldHi);
  }
}

/** Whether window3s2GradDown takes the geometry: 3 rows high at row stride 2, every window starting inside the input (or its pad). */
inline bool window3s2GradDownFits(const PoolGeom& g) { return g.WH == 3 && g.SH == 2 && 2 * (g.OH - 1) - g.PT < g.H; }

/** The plane's gradient from the taps, output row by output row (window3s2GradPlane): any window3s2 geometry. */
void maxPoolGradWindow3s2Rows(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
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

/**
 * The plane's gradient from the taps MaxPool2DArgmax recorded: 3x3/2 windows walked down the plane
 * (window3s2GradDown), others row by row. The same bits either way (the same sums in the same order).
 */
void maxPoolGradWindow3s2(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
  if (!window3s2GradDownFits(g)) return maxPoolGradWindow3s2Rows(g, dy, taps, dx);
  constexpr int64_t N = S::N;
  // Rows past the last window's are in none; the rest are stored below, every column of them (the blocks of
  // window3s2GradRow).
  const int64_t covered = std::min(2 * (g.OH - 1) - g.PT + 3, g.H);
  std::fill(dx + covered * g.W, dx + g.H * g.W, 0.f);
  int64_t k0 = 0;
  for (; k0 + N < g.OW && 2 * k0 + 2 * N <= g.W; k0 += N) window3s2GradDown<true>(g, dy, taps, dx, k0);
  for (; 2 * k0 < g.W; k0 += N) window3s2GradDown<false>(g, dy, taps, dx, k0);
}
