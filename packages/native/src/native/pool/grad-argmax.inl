// ISA fragment (included by src/native/isa/<isa>.cc after grad.inl and window3s2-grad.inl): the max-pool gradient
// of one channel plane from the taps MaxPool2DArgmax recorded (kh * WW + kw of each window), PyTorch's training
// path: dy and the taps are read, dx written, x never. Each geometry takes the route and the summation order of
// the gradient from x (grad.inl, window3s2-grad.inl), so both give the same bits. A code naming no input cell
// (-1, a padding tap, NaN, a fraction, out of range) routes nothing: no taps buffer makes it write outside dx.

/** Whether tap code `tf` names a tap of a WH x WW window; its integer value in `t`. */
SN_INLINE bool tapCode(float tf, float taps, int64_t& t) {
  // Comparisons are false for NaN: refused with the out-of-range codes.
  if (!(tf >= 0.f && tf < taps)) return false;
  t = static_cast<int64_t>(tf);
  return static_cast<float>(t) == tf;
}

/**
 * Windows that do not overlap, 2 wide at stride 2 (maxPoolGradPairs' geometry): each window row's two taps
 * take dy where they are the recorded tap, else 0, and the pair is zipped back into the row: dx rows streamed
 * once, no zeroing pass, no scatter.
 */
void maxPoolGradArgmaxPairs(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
  constexpr int64_t N = S::N;
  const S::V zero = S::zero();
  const int64_t covered = std::min(g.OH * g.SH, g.H), cols = std::min(2 * g.OW, g.W);
  for (int64_t h = 0; h < covered; h++) std::fill(dx + h * g.W + cols, dx + (h + 1) * g.W, 0.f);
  std::fill(dx + covered * g.W, dx + g.H * g.W, 0.f);
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t h0 = oh * g.SH;
    const int rows = static_cast<int>(std::min(g.WH, g.H - h0));
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      const int64_t c = 2 * ow0;
      const uint32_t lo = rowBits(c, g.W, N), hi = rowBits(c + N, g.W, N);
      const uint32_t outs = laneBits(0, std::min<int64_t>(N, g.OW - ow0));
      const S::V d = loadLanes(dy + oh * g.OW + ow0, outs), at = loadLanes(taps + oh * g.OW + ow0, outs);
      for (int r = 0; r < rows; r++) {
        const S::V left = S::select(S::equal(at, S::set1(static_cast<float>(2 * r))), d, zero);
        const S::V right = S::select(S::equal(at, S::set1(static_cast<float>(2 * r + 1))), d, zero);
        float* p = dx + (h0 + r) * g.W + c;
        storeLanes(p, lo, S::zipLo(left, right));
        storeLanes(p + N, hi, S::zipHi(left, right));
      }
    }
  }
}

/** Any geometry the vector path takes (strides 1 and 2 along the row): adds in maxPoolGradColumns' order (N columns of outputs, row by row). */
void maxPoolGradArgmaxColumns(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
  const float count = static_cast<float>(g.WH * g.WW);
  std::fill(dx, dx + g.H * g.W, 0.f);
  for (int64_t ow0 = 0; ow0 < g.OW; ow0 += S::N) {
    const int64_t ow1 = std::min<int64_t>(ow0 + S::N, g.OW);
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const int64_t hs = oh * g.SH - g.PT;
      for (int64_t ow = ow0; ow < ow1; ow++) {
        int64_t t;
        if (!tapCode(taps[oh * g.OW + ow], count, t)) continue;
        const int64_t ih = hs + t / g.WW, iw = ow * g.SW - g.PL + t % g.WW;
        if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) dx[ih * g.W + iw] += dy[oh * g.OW + ow];
      }
    }
  }
}

/** maxPoolGradPlane's routes, from the taps. */
void maxPoolGradArgmaxPlane(const PoolGeom& g, const float* dy, const float* taps, float* dx) {
  if (poolPairsFit(g)) return maxPoolGradArgmaxPairs(g, dy, taps, dx);
  maxPoolGradArgmaxColumns(g, dy, taps, dx);
}
