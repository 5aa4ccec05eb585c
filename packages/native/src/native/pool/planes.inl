// ISA fragment (included by src/native/isa/<isa>.cc with S the ISA description, like ../conv/*.inl): max and
// average pooling of one channel plane, any window, stride and padding, separably. For each output row the
// window's input rows are first combined column by column (vertical pass, whole vectors along the row) into a
// row buffer split by column phase: padded column q lands in phase q % SW at index q / SW, and padding columns
// hold the neutral value (-Inf, or 0 for sums). Tap kw of N consecutive outputs is then N consecutive floats of
// phase kw % SW, so the horizontal pass is unmasked loads and one max or add per tap. Compared with combining
// every tap of every window, overlapping windows (3x3 stride 2) share the vertical pass, stride 2 needs one
// deinterleave per input vector instead of one per tap, and the row edges are handled once, in the vertical
// pass, by masked loads. Stride 2 splits with vector deinterleaves, larger strides with scalar copies.
// Any NaN in a window makes a max-pool output NaN; an average's window sum is divided by multiplying with
// the caller's 1 / divisor per output.

/** Max that is NaN when either operand is (S::max alone returns its second operand then). */
SN_INLINE S::V maxNan(S::V a, S::V b, S::V nan) { return S::select(S::unordered(a, b), nan, S::max(a, b)); }

template <bool Max>
struct PoolOp {
  S::V nan;
  PoolOp() : nan(S::set1(std::numeric_limits<float>::quiet_NaN())) {}
  static float neutral() { return Max ? -std::numeric_limits<float>::infinity() : 0.f; }
  SN_INLINE S::V operator()(S::V a, S::V b) const { return Max ? maxNan(a, b, nan) : S::add(a, b); }
};

/** The vertical pass's output for one output row: SW phases of `len` floats, then (SW > 2) the unsplit row. */
struct PhaseRows {
  int64_t len;
  float* data;

  PhaseRows(const PoolGeom& g, float fill) {
    constexpr int64_t N = S::N;
    // Vector stores of the last (partial) input vectors reach (PL + W + 2N) / SW; the horizontal pass reads
    // up to a vector past the last output plus (WW - 1) / SW.
    len = (g.W + g.PL + g.PR + 2 * N) / g.SW + g.WW + 2 * N + 4;
    const int64_t floats = g.SW * len + (g.SW > 2 ? g.W + 2 * N : 0);
    data = scratch(static_cast<size_t>(floats), kSlabSlot);
    std::fill(data, data + floats, fill);
  }
  float* phase(int64_t p) const { return data + p * len; }
};

/** N columns from `p`, `fill` in the lanes outside `bits`. */
SN_INLINE S::V loadOr(const float* p, uint32_t bits, S::V fill) {
  if (bits == kAllLanes) return S::load(p);
  return bits ? S::maskLoadOr(fill, S::mask(bits), p) : fill;
}

/** Columns [c, c + N) of `n` rows `W` floats apart, combined; lanes past the row end read `fill`. */
template <bool Max, int R>
SN_INLINE S::V columnOf(const PoolOp<Max>& op, const float* rows, int64_t W, int n, int64_t c, S::V fill) {
  constexpr int64_t N = S::N;
  const uint32_t bits = c + N <= W ? kAllLanes : rowBits(c, W, N);
  S::V acc = loadOr(rows + c, bits, fill);
  const int count = R > 0 ? R : n;
  for (int i = 1; i < count; i++) acc = op(acc, loadOr(rows + i * W + c, bits, fill));
  return acc;
}

/** Vertical pass: `n` consecutive input rows from `rows` combined over the whole row into the phases of `pr`. */
template <bool Max, int R>
void combineRows(const PoolGeom& g, const PoolOp<Max>& op, const float* rows, int n, const PhaseRows& pr) {
  constexpr int64_t N = S::N;
  const S::V fill = S::set1(PoolOp<Max>::neutral());
  // The width in a local: vector stores may alias g as far as the compiler knows (see pairRow).
  const int64_t W = g.W;
  if (g.SW == 1) {
    float* dst = pr.phase(0) + g.PL;
    for (int64_t c = 0; c < W; c += N) S::store(dst + c, columnOf<Max, R>(op, rows, W, n, c, fill));
    return;
  }
  if (g.SW == 2) {
    // Input column c sits at padded column c + PL: even c in phase PL % 2, odd c in the other.
    float* even = pr.phase(g.PL % 2) + g.PL / 2;
    float* odd = pr.phase((g.PL + 1) % 2) + (g.PL + 1) / 2;
    for (int64_t c = 0; c < W; c += 2 * N) {
      const S::V lo = columnOf<Max, R>(op, rows, W, n, c, fill), hi = columnOf<Max, R>(op, rows, W, n, c + N, fill);
      S::store(even + c / 2, S::evens(lo, hi));
      S::store(odd + c / 2, S::odds(lo, hi));
    }
    return;
  }
  float* row = pr.phase(g.SW);
  for (int64_t c = 0; c < g.W; c += N) S::store(row + c, columnOf<Max, R>(op, rows, g.W, n, c, fill));
  for (int64_t c = 0, ph = g.PL % g.SW, at = g.PL / g.SW; c < g.W; c++) {
    pr.phase(ph)[at] = row[c];
    if (++ph == g.SW) {
      ph = 0;
      at++;
    }
  }
}

/**
 * Horizontal pass: one output row from the phases; averages multiplied by `inv` (1 / divisor per output). With
 * `spill` the row's last vector is stored whole: its spare lanes land in the next output row of the plane,
 * written after this one (the phases are padded past the row's last output, `inv` runs on into the next row).
 */
template <bool Max, int WW>
void combineColumns(const PoolGeom& g, const PoolOp<Max>& op, const PhaseRows& pr, const float* inv, float* out, bool spill) {
  constexpr int64_t N = S::N;
  const float* tap[WW > 0 ? WW : 1];
  if constexpr (WW > 0) {
    for (int kw = 0; kw < WW; kw++) tap[kw] = pr.phase(kw % g.SW) + kw / g.SW;
  }
  const int64_t OW = g.OW;
  for (int64_t ow0 = 0; ow0 < OW; ow0 += N) {
    S::V acc;
    if constexpr (WW > 0) {
      acc = S::load(tap[0] + ow0);
#pragma GCC unroll 4
      for (int kw = 1; kw < WW; kw++) acc = op(acc, S::load(tap[kw] + ow0));
    } else {
      acc = S::load(pr.phase(0) + ow0);
      for (int64_t kw = 1, ph = 1 % g.SW, at = 1 / g.SW; kw < g.WW; kw++) {
        acc = op(acc, S::load(pr.phase(ph) + at + ow0));
        if (++ph == g.SW) {
          ph = 0;
          at++;
        }
      }
    }
    const uint32_t bits = spill || ow0 + N <= OW ? kAllLanes : laneBits(0, OW - ow0);
    if (!Max) acc = S::mul(acc, loadLanes(inv + ow0, bits));
    storeLanes(out + ow0, bits, acc);
  }
}

/**
 * Windows 2 wide at stride 2 with no padding before the row (the 2x2 pool): windows do not overlap along the
 * row, so each vector pair of combined rows gives N outputs directly, without the phase buffer. With `spill`
 * the row's last vector is whole too: its extra lanes read the next input row and land in the next output
 * row of the plane, which the caller writes afterwards (the caller's rule for when that stays in the plane).
 *
 * It runs at the cache floor of this host (s43, Emerald Rapids, 1 thread, the 8x64x56x56 average on 8 lanes: a
 * read-only AVX2 pass over the 6.4 MB input 0.185-0.187 ms, this loop 0.233-0.236 in a standalone copy; the
 * difference is the output's 1.6 MB, fetched for ownership and written back). Measured there and not taken:
 * vectors in plane order, each half from its own row pair, so that no store spills or crosses a line (0.230-0.233
 * standalone, isa-check average 0.230 -> 0.236 and max 0.233 -> 0.219, bench/pool-floor.ts raw+sync equal:
 * 238.0-240.2 -> 240.0-240.8 us); prefetcht0 4 KiB ahead (0.230-0.232 standalone, the addon equal); prefetcht1
 * (0.237-0.241); prefetchnta of the next row pair (pool-floor core+sync 249-273 -> 443-903 us); two output rows per pass (0.243-0.248); a constant divisor instead of the `inv` loads (equal);
 * 2 MB pages (equal); non-temporal stores (0.203-0.206, but they send the output to memory, where the next
 * layer would read it).
 */
template <bool Max, int R>
void pairRow(const PoolGeom& g, const PoolOp<Max>& op, const float* rows, int n, const float* inv, float* out, bool spill) {
  constexpr int64_t N = S::N;
  const S::V fill = S::set1(PoolOp<Max>::neutral());
  int64_t ow0 = 0;
  if constexpr (R == 2) {
    // Plain loads and stores, the geometry in locals: a store through `out` may alias g as far as the
    // compiler knows, and reloading its fields after every store (with the masked edge of each row) ran the
    // 8x64x56x56 average 2x2 at 0.29-0.31 ms against 0.24 for this loop.
    const int64_t W = g.W, OW = g.OW;
    const int64_t end = spill ? OW : std::min(OW - N, W / 2 - N) + 1;
    const float* r0 = rows;
    const float* r1 = rows + W;
    for (; ow0 < end; ow0 += N) {
      const S::V lo = op(S::load(r0 + 2 * ow0), S::load(r1 + 2 * ow0)), hi = op(S::load(r0 + 2 * ow0 + N), S::load(r1 + 2 * ow0 + N));
      S::V acc = op(S::evens(lo, hi), S::odds(lo, hi));
      if (!Max) acc = S::mul(acc, S::load(inv + ow0));
      S::store(out + ow0, acc);
    }
  }
  for (; ow0 < g.OW; ow0 += N) {
    const S::V lo = columnOf<Max, R>(op, rows, g.W, n, 2 * ow0, fill), hi = columnOf<Max, R>(op, rows, g.W, n, 2 * ow0 + N, fill);
    S::V acc = op(S::evens(lo, hi), S::odds(lo, hi));
    const uint32_t bits = ow0 + N <= g.OW ? kAllLanes : laneBits(0, g.OW - ow0);
    if (!Max) acc = S::mul(acc, loadLanes(inv + ow0, bits));
    storeLanes(out + ow0, bits, acc);
  }
}

/**
 * The 2x2 stride-2 pool of a plane narrower than two vectors that it tiles exactly (W = 2 OW, H = 2 OH, no
 * padding), e.g. LeNet's 10x10 planes on 8 lanes: a row-by-row pass would take every output row through
 * masked loads and a masked store. Instead each row pair is combined into a compact buffer of OH rows of W
 * (two whole vectors a row, the second ending at the row's end, overlapping the first), whose adjacent column
 * pairs then never cross a row, so the horizontal pass runs over the whole plane as one row of OH OW outputs,
 * the last vector again placed to end at the plane's end. Needs W >= N and OH OW >= N; no masks at all.
 */
template <bool Max>
void pairPlaneNarrow(const PoolGeom& g, const PoolOp<Max>& op, const float* x, const float* inv, float* y) {
  constexpr int64_t N = S::N;
  const int64_t W = g.W, OH = g.OH, count = g.OH * g.OW;
  float* v = scratch(static_cast<size_t>(OH * W), kSlabSlot);
  for (int64_t r = 0; r < OH; r++) {
    const float* r0 = x + 2 * r * W;
    for (int64_t c = 0;; c = std::min(c + N, W - N)) {
      S::store(v + r * W + c, op(S::load(r0 + c), S::load(r0 + W + c)));
      if (c == W - N) break;
    }
  }
  for (int64_t o = 0;; o = std::min(o + N, count - N)) {
    S::V acc = op(S::evens(S::load(v + 2 * o), S::load(v + 2 * o + N)), S::odds(S::load(v + 2 * o), S::load(v + 2 * o + N)));
    if (!Max) acc = S::mul(acc, S::load(inv + o));
    S::store(y + o, acc);
    if (o == count - N) break;
  }
}

/** Whether pairPlaneNarrow takes this geometry (a 2x2 stride-2 pool of narrow planes it tiles). */
inline bool pairPlaneNarrowFits(const PoolGeom& g) {
  return g.SW == 2 && g.WW == 2 && g.SH == 2 && g.WH == 2 && g.PL == 0 && g.PR == 0 && g.PT == 0 && g.PB == 0 &&
         g.W == 2 * g.OW && g.H == 2 * g.OH && g.OW < S::N && g.W >= S::N && g.OH * g.OW >= S::N;
}

template <bool Max>
void poolPlane(const PoolGeom& g, const float* x, const float* inv, float* y) {
  const PoolOp<Max> op;
  if (pairPlaneNarrowFits(g)) return pairPlaneNarrow<Max>(g, op, x, inv, y);
  if (g.SW == 2 && g.WW == 2 && g.PL == 0) {
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const int64_t h0 = std::max<int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.WH, g.H);
      const float* iv = Max ? nullptr : inv + oh * g.OW;
      if (h1 - h0 == 2) {
        // The last vector may spill into the next output row (not the plane's last) and read up to 2N - 2
        // columns into input row h0 + 2, which then exists: with OW >= N and W >= 2N both stay in their plane.
        // No window may take a padding column (2 OW <= W), which the spilled loads would read from the next row.
        const bool spill = oh + 1 < g.OH && h0 + 2 < g.H && g.OW >= S::N && 2 * g.OW <= g.W && g.W >= 2 * S::N;
        pairRow<Max, 2>(g, op, x + h0 * g.W, 2, iv, y + oh * g.OW, spill);
      } else {
        pairRow<Max, 0>(g, op, x + h0 * g.W, static_cast<int>(h1 - h0), iv, y + oh * g.OW, false);
      }
    }
    return;
  }
  const PhaseRows pr(g, PoolOp<Max>::neutral());
  for (int64_t oh = 0; oh < g.OH; oh++) {
    // Every window holds at least one input row (the plan's rule), and its rows are consecutive.
    const int64_t h0 = std::max<int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.WH, g.H);
    const float* rows = x + h0 * g.W;
    const int n = static_cast<int>(h1 - h0);
    switch (n) {
      case 1:
        combineRows<Max, 1>(g, op, rows, n, pr);
        break;
      case 2:
        combineRows<Max, 2>(g, op, rows, n, pr);
        break;
      case 3:
        combineRows<Max, 3>(g, op, rows, n, pr);
        break;
      default:
        combineRows<Max, 0>(g, op, rows, n, pr);
    }
    const float* iv = Max ? nullptr : inv + oh * g.OW;
    float* out = y + oh * g.OW;
    // Not the plane's last row, and a row of at least N outputs: the spilled lanes stay in the next row.
    const bool spill = oh + 1 < g.OH && g.OW >= S::N;
    if (g.WW == 2) {
      combineColumns<Max, 2>(g, op, pr, iv, out, spill);
    } else if (g.WW == 3) {
      combineColumns<Max, 3>(g, op, pr, iv, out, spill);
    } else {
      combineColumns<Max, 0>(g, op, pr, iv, out, spill);
    }
  }
}

void maxPoolPlane(const PoolGeom& g, const float* x, float* y) { poolPlane<true>(g, x, nullptr, y); }

void avgPoolPlane(const PoolGeom& g, const float* x, const float* inv, float* y) { poolPlane<false>(g, x, inv, y); }
