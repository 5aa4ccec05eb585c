// ISA fragment (included by src/native/isa/<isa>.cc with S the ISA description, like ../conv/*.inl): the
// max-pool gradient over one channel plane, N output columns per vector, strides 1 and 2 along the row,
// padding masked.

/**
 * Window columns kw of one vector of N outputs starting at output column ow0 (stride 1 or 2): where each
 * tap's inputs start and which lanes lie inside the row. The same for every output row, so it is worked
 * out once per vector of columns, not once per tap; windows wider than kMaxTaps are taken in slices.
 */
constexpr int kMaxTaps = 16;

struct ColumnTaps {
  int64_t start[kMaxTaps];
  /** Lanes inside the row of the first N inputs from start, of the next N (stride 2), and of the outputs. */
  uint32_t lo[kMaxTaps], hi[kMaxTaps], valid[kMaxTaps];
  /** Every lane of every tap lies inside the row: plain loads, no masks. */
  bool full;

  ColumnTaps(const PoolGeom& g, int64_t ow0, int64_t kw0, int64_t kw1) : full(true) {
    constexpr int N = S::N;
    for (int64_t kw = kw0; kw < kw1; kw++) {
      const int t = static_cast<int>(kw - kw0);
      start[t] = ow0 * g.SW + kw - g.PL;
      lo[t] = rowBits(start[t], g.W, N);
      hi[t] = g.SW == 1 ? kAllLanes : rowBits(start[t] + N, g.W, N);
      valid[t] = tapBits(start[t], g.SW, g.W, N);
      full = full && lo[t] == kAllLanes && hi[t] == kAllLanes;
    }
  }

  /** Inputs under tap t for the N outputs, `fill` where the column lies outside the row. */
  template <bool Full>
  SN_INLINE S::V load(const PoolGeom& g, const float* row, int t, S::V fill) const {
    constexpr int N = S::N;
    const float* p = row + start[t];
    const S::V a = Full || lo[t] == kAllLanes ? S::load(p) : S::maskLoadOr(fill, S::mask(lo[t]), p);
    if (g.SW == 1) return a;
    const S::V b = Full || hi[t] == kAllLanes ? S::load(p + N) : S::maskLoadOr(fill, S::mask(hi[t]), p + N);
    return S::evens(a, b);
  }
};


/**
 * The winners of N windows of output row oh from output column ow0: the first maximum of each (the last NaN if it
 * holds any) found with vector compares in the scalar path's tap order (row by row, left to right). `best`: the
 * window's value (-Inf where it holds no input cell); the winner's index in the plane in `at` (Taps false) or its
 * tap kh * WW + kw as a float in `tap` (Taps true; the other one is not touched), -1 where the window holds no
 * input cell. `ct` holds the window's
 * columns; null for windows wider than kMaxTaps, whose columns are worked out tap by tap.
 */
template <bool Full, bool Taps>
SN_INLINE void columnWinners(const PoolGeom& g, const float* x, int64_t oh, int64_t ow0, const ColumnTaps* ct, S::V& best, S::VI& at,
                             S::V& tap) {
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  const S::VI lanes = S::iota(static_cast<int32_t>(g.SW));
  best = ninf;
  if constexpr (Taps) {
    tap = S::set1(-1.f);
  } else {
    at = S::set1i(-1);
  }
  S::M found = S::mask(0);
  for (int64_t kh = 0; kh < g.WH; kh++) {
    const int64_t ih = oh * g.SH - g.PT + kh;
    if (ih < 0 || ih >= g.H) continue;
    const float* row = x + ih * g.W;
    for (int64_t kw = 0; kw < g.WW; kw++) {
      S::V v;
      uint32_t valid;
      int64_t start;
      if (ct) {
        const int t = static_cast<int>(kw);
        v = ct->load<Full>(g, row, t, ninf);
        valid = ct->valid[t];
        start = ct->start[t];
      } else {
        const ColumnTaps one(g, ow0, kw, kw + 1);
        v = one.load<false>(g, row, 0, ninf);
        valid = one.valid[0];
        start = one.start[0];
      }
      // Take v where nothing was found yet, or v > best (never once best is NaN), or v is a NaN: every
      // NaN replaces the one before it, so the last NaN in tap order wins (PyTorch).
      const S::M better = S::maskOr(S::maskAndNot(S::greater(v, best), S::isNan(best)), S::isNan(v));
      const S::M take = S::maskAnd(S::mask(valid), S::maskOr(S::maskNot(found), better));
      best = S::select(take, v, best);
      if constexpr (Taps) {
        tap = S::select(take, S::set1(static_cast<float>(kh * g.WW + kw)), tap);
      } else {
        at = S::selecti(take, S::addi(S::set1i(static_cast<int32_t>(ih * g.W + start)), lanes), at);
      }
      found = S::maskOr(found, take);
    }
  }
}

/** N outputs at a time: each window's winner (columnWinners), then dy added there one lane at a time (windows overlap). */
template <bool Full>
void maxPoolGradColumns(const PoolGeom& g, const float* dy, const float* x, float* dx, int64_t ow0, const ColumnTaps* ct) {
  constexpr int N = S::N;
  const int64_t n = std::min<int64_t>(N, g.OW - ow0);
  const uint32_t out = laneBits(0, n);
  int32_t idx[N];
  float grad[N];
  for (int64_t oh = 0; oh < g.OH; oh++) {
    S::V best, unused;
    S::VI at;
    columnWinners<Full, false>(g, x, oh, ow0, ct, best, at, unused);
    S::storei(idx, at);
    const float* d = dy + oh * g.OW + ow0;
    S::store(grad, out == kAllLanes ? S::load(d) : S::maskLoad(S::mask(out), d));
    for (int64_t l = 0; l < n; l++)
      if (idx[l] >= 0) dx[idx[l]] += grad[l];
  }
}

void maxPoolGradPlane(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  constexpr int N = S::N;
  if (poolPairsFit(g)) {
    maxPoolGradPairs(g, dy, x, dx);
    return;
  }
  std::fill(dx, dx + g.H * g.W, 0.f);
  for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
    if (g.WW > kMaxTaps) {
      maxPoolGradColumns<false>(g, dy, x, dx, ow0, nullptr);
      continue;
    }
    const ColumnTaps ct(g, ow0, 0, g.WW);
    if (ct.full) {
      maxPoolGradColumns<true>(g, dy, x, dx, ow0, &ct);
    } else {
      maxPoolGradColumns<false>(g, dy, x, dx, ow0, &ct);
    }
  }
}
