// ISA fragment (included by src/native/isa/<isa>.cc with S the ISA description, like ../conv/*.inl):
// pooling over one channel plane, N output columns per vector, strides 1 and 2 along the row, padding
// masked. Any NaN in a window makes a max-pool output NaN, as in the scalar path.

/**
 * Input under window column kw for N outputs starting at output column ow0 (stride 1 or 2), with
 * `fill` where the column lies outside the row (padding). Only lanes inside the row are read.
 */
SN_INLINE S::V poolTap(const PoolGeom& g, const float* row, int64_t ow0, int64_t kw, S::V fill) {
  constexpr int N = S::N;
  const int64_t start = ow0 * g.SW + kw - g.PL;
  const uint32_t b0 = rowBits(start, g.W, N);
  const S::V lo = b0 == kAllLanes ? S::load(row + start) : S::maskLoadOr(fill, S::mask(b0), row + start);
  if (g.SW == 1) return lo;
  const uint32_t b1 = rowBits(start + N, g.W, N);
  const S::V hi = b1 == kAllLanes ? S::load(row + start + N) : S::maskLoadOr(fill, S::mask(b1), row + start + N);
  return S::evens(lo, hi);
}

void maxPoolPlane(const PoolGeom& g, const float* x, float* y) {
  constexpr int N = S::N;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  const S::V nan = S::set1(std::numeric_limits<float>::quiet_NaN());
  if (g.SW == 2 && g.WW == 2) {
    // 2-wide windows at stride 2 (the common 2x2 pool): both taps of a row come from one pair of loads.
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      const int64_t start = 2 * ow0 - g.PL;
      const uint32_t b0 = rowBits(start, g.W, N), b1 = rowBits(start + N, g.W, N);
      const S::M m0 = S::mask(b0), m1 = S::mask(b1);
      const uint32_t out = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
      for (int64_t oh = 0; oh < g.OH; oh++) {
        S::V acc = ninf;
        S::M unordered = S::mask(0);
        for (int64_t kh = 0; kh < g.WH; kh++) {
          const int64_t ih = oh * g.SH - g.PT + kh;
          if (ih < 0 || ih >= g.H) continue;
          const float* row = x + ih * g.W + start;
          const S::V lo = b0 == kAllLanes ? S::load(row) : S::maskLoadOr(ninf, m0, row);
          const S::V hi = b1 == kAllLanes ? S::load(row + N) : S::maskLoadOr(ninf, m1, row + N);
          const S::V e = S::evens(lo, hi), o = S::odds(lo, hi);
          unordered = S::maskOr(unordered, S::unordered(e, o));
          acc = S::max(acc, S::max(e, o));
        }
        storeLanes(y + oh * g.OW + ow0, out, S::select(unordered, nan, acc));
      }
    }
    return;
  }
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      S::V acc = ninf;
      S::M unordered = S::mask(0);
      for (int64_t kh = 0; kh < g.WH; kh++) {
        const int64_t ih = oh * g.SH - g.PT + kh;
        if (ih < 0 || ih >= g.H) continue;
        const float* row = x + ih * g.W;
        for (int64_t kw = 0; kw < g.WW; kw++) {
          const S::V v = poolTap(g, row, ow0, kw, ninf);
          unordered = S::maskOr(unordered, S::isNan(v));
          acc = S::max(acc, v);
        }
      }
      storeLanes(y + oh * g.OW + ow0, laneBits(0, std::min<int64_t>(N, g.OW - ow0)), S::select(unordered, nan, acc));
    }
  }
}

void avgPoolPlane(const PoolGeom& g, const float* x, const float* inv, float* y) {
  constexpr int N = S::N;
  const S::V zero = S::zero();
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      S::V acc = zero;
      for (int64_t kh = 0; kh < g.WH; kh++) {
        const int64_t ih = oh * g.SH - g.PT + kh;
        if (ih < 0 || ih >= g.H) continue;
        const float* row = x + ih * g.W;
        for (int64_t kw = 0; kw < g.WW; kw++) acc = S::add(acc, poolTap(g, row, ow0, kw, zero));
      }
      const uint32_t bits = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
      const float* iv = inv + oh * g.OW + ow0;
      acc = S::mul(acc, bits == kAllLanes ? S::load(iv) : S::maskLoad(S::mask(bits), iv));
      storeLanes(y + oh * g.OW + ow0, bits, acc);
    }
  }
}

/**
 * N outputs at a time: the first maximum of each window (first NaN wins) found with vector compares in
 * the scalar path's tap order, then dy added at those positions one lane at a time (windows overlap).
 */
void maxPoolGradPlane(const PoolGeom& g, const float* dy, const float* x, float* dx) {
  constexpr int N = S::N;
  const S::V ninf = S::set1(-std::numeric_limits<float>::infinity());
  const S::VI lanes = S::iota(static_cast<int32_t>(g.SW));
  int32_t idx[N];
  float grad[N];
  for (int64_t oh = 0; oh < g.OH; oh++) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      S::V best = ninf;
      S::VI at = S::set1i(-1);
      S::M found = S::mask(0);
      for (int64_t kh = 0; kh < g.WH; kh++) {
        const int64_t ih = oh * g.SH - g.PT + kh;
        if (ih < 0 || ih >= g.H) continue;
        const float* row = x + ih * g.W;
        for (int64_t kw = 0; kw < g.WW; kw++) {
          const int64_t start = ow0 * g.SW + kw - g.PL;
          const S::M valid = S::mask(tapBits(start, g.SW, g.W, N));
          const S::V v = poolTap(g, row, ow0, kw, ninf);
          const S::M bestNan = S::isNan(best);
          // Take v where nothing was found yet, or v > best, or v is the first NaN.
          const S::M better = S::maskAndNot(S::maskOr(S::greater(v, best), S::isNan(v)), bestNan);
          const S::M take = S::maskAnd(valid, S::maskOr(S::maskNot(found), better));
          best = S::select(take, v, best);
          at = S::selecti(take, S::addi(S::set1i(static_cast<int32_t>(ih * g.W + start)), lanes), at);
          found = S::maskOr(found, take);
        }
      }
      const int64_t n = std::min<int64_t>(N, g.OW - ow0);
      S::storei(idx, at);
      const uint32_t bits = laneBits(0, n);
      S::store(grad, bits == kAllLanes ? S::load(dy + oh * g.OW + ow0) : S::maskLoad(S::mask(bits), dy + oh * g.OW + ow0));
      for (int64_t l = 0; l < n; l++)
        if (idx[l] >= 0) dx[idx[l]] += grad[l];
    }
  }
}
