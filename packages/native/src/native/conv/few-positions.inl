// The forward of layers with only a few output positions in all (batch x output height x output width): deep layers
// of small images at batch 1-2, such as ResNet-18's 512-channel layers on 32x32 inputs, whose maps are 1x1 and 2x2
// there. The tiled kernels put positions in the lanes (one of 8 used for a 1x1 map) and read the filter through a
// layout sized for many positions; here each output is the dot product of a filter row with one gathered column of
// the input, so the call streams the filter once, and only its live taps: taps that read nothing but padding for
// every output position (all but the middle one of a 3x3 pad-1 filter on a 1x1 map) are left out, packed once per
// filter by the FilterCache; where every tap is live the rows are read in place.

/**
 * Output positions (N x OH x OW) up to which every layer takes fewPositionsForward; maps of at most kFewMap positions
 * (2x2, 1x4) take it at any batch, as long as the gathered columns stay within kFewColumnFloats.
 */
constexpr int64_t kFewPositions = 32;
constexpr int64_t kFewMap = 4;
constexpr int64_t kFewColumnFloats = int64_t{1} << 20;

/** Taps [first, last] of one dimension that read the input for some output position; first > last when none does. */
struct TapSpan {
  int64_t first, last;
  int64_t count() const { return last >= first ? last - first + 1 : 0; }
};

inline TapSpan liveTaps(int64_t taps, int64_t stride, int64_t dilation, int64_t pad, int64_t in, int64_t out) {
  TapSpan s{taps, -1};
  for (int64_t k = 0; k < taps; k++)
    for (int64_t o = 0; o < out; o++) {
      const int64_t i = o * stride - pad + k * dilation;
      if (i >= 0 && i < in) {
        s.first = std::min(s.first, k);
        s.last = std::max(s.last, k);
        break;
      }
    }
  return s;
}

bool fewPositionsFits(const ConvGeom& g) {
  const int64_t P = g.N * g.OH * g.OW;
  if (g.G != 1 || (P > kFewPositions && g.OH * g.OW > kFewMap)) return false;
  const int64_t live = liveTaps(g.KH, g.SH, g.DH, g.PT, g.H, g.OH).count() * liveTaps(g.KW, g.SW, g.DW, g.PL, g.W, g.OW).count();
  return P * g.C * live <= kFewColumnFloats;
}

/** Rows of output channels a dot tile holds (Q positions beside them: R x Q accumulators). */
constexpr int kFewRows = 4;

/**
 * Dot products of kFewRows filter rows with Q columns, K long; the tail of K through masked loads. out[r][q].
 * Per vector of K: Q column loads, kFewRows row loads and kFewRows x Q multiply-adds (at most 12 accumulators).
 */
template <int Q>
SN_INLINE void fewDots(const float* const* rows, const float* const* cols, int64_t K, float (*out)[3]) {
  constexpr int R = kFewRows;
  S::V acc[R][Q];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 3
    for (int q = 0; q < Q; q++) acc[r][q] = S::zero();
  int64_t k = 0;
  for (; k + S::N <= K; k += S::N) {
    S::V c[Q];
#pragma GCC unroll 3
    for (int q = 0; q < Q; q++) c[q] = S::load(cols[q] + k);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const S::V w = S::load(rows[r] + k);
#pragma GCC unroll 3
      for (int q = 0; q < Q; q++) acc[r][q] = S::fma(w, c[q], acc[r][q]);
    }
  }
  if (k < K) {
    const auto m = S::mask((uint32_t{1} << (K - k)) - 1);
    S::V c[Q];
#pragma GCC unroll 3
    for (int q = 0; q < Q; q++) c[q] = S::maskLoad(m, cols[q] + k);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const S::V w = S::maskLoad(m, rows[r] + k);
#pragma GCC unroll 3
      for (int q = 0; q < Q; q++) acc[r][q] = S::fma(w, c[q], acc[r][q]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 3
    for (int q = 0; q < Q; q++) out[r][q] = S::reduceAdd(acc[r][q]);
}

void fewPositionsForward(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                         ThreadPool& pool) {
  const TapSpan th = liveTaps(g.KH, g.SH, g.DH, g.PT, g.H, g.OH), tw = liveTaps(g.KW, g.SW, g.DW, g.PL, g.W, g.OW);
  const int64_t kh = th.count(), kw = tw.count(), K = g.C * kh * kw, P = g.N * g.OH * g.OW;
  // The filter's rows over the live taps: [O][C][kh][kw], the weights themselves when every tap is live.
  const float* rows = nullptr;
  FilterCache::Packed kept;
  if (kh == g.KH && kw == g.KW) {
    rows = w.weights();
  } else if (K > 0) {
    kept = w.packed(layoutKey({20, g.O, g.C, g.KH, g.KW, th.first, kh, tw.first, kw}), static_cast<size_t>(g.O * K),
                    [&](const float* raw, float* out) {
                      for (int64_t o = 0; o < g.O; o++)
                        for (int64_t c = 0; c < g.C; c++)
                          for (int64_t i = 0; i < kh; i++)
                            for (int64_t j = 0; j < kw; j++)
                              out[((o * g.C + c) * kh + i) * kw + j] = raw[((o * g.C + c) * g.KH + th.first + i) * g.KW + tw.first + j];
                    },
                    false);
    rows = kept->data();
  }
  // The input's column of each output position over the same taps (zero where a tap reads padding), one row each.
  float* cols = scratch(static_cast<size_t>(std::max<int64_t>(P * K, 1)), kSlabSlot);
  for (int64_t p = 0; p < P; p++) {
    const int64_t n = p / (g.OH * g.OW), oh = p / g.OW % g.OH, ow = p % g.OW;
    float* col = cols + p * K;
    for (int64_t c = 0; c < g.C; c++) {
      const float* plane = x + (n * g.C + c) * g.H * g.W;
      for (int64_t i = 0; i < kh; i++) {
        const int64_t ih = oh * g.SH - g.PT + (th.first + i) * g.DH;
        for (int64_t j = 0; j < kw; j++) {
          const int64_t iw = ow * g.SW - g.PL + (tw.first + j) * g.DW;
          *col++ = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? plane[ih * g.W + iw] : 0.f;
        }
      }
    }
  }
  const int64_t tiles = (g.O + kFewRows - 1) / kFewRows;
  // A tile reads kFewRows x K floats of the filter: tasks of at least 64 KiB of it.
  const int64_t grain = std::max<int64_t>(1, (int64_t{16} << 10) / std::max<int64_t>(kFewRows * K, 1));
  pool.parallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
    float dots[kFewRows][3];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o0 = t * kFewRows;
      const int live = static_cast<int>(std::min<int64_t>(kFewRows, g.O - o0));
      const float* r[kFewRows];
      // Rows past O repeat the last one (computed, not stored).
      for (int i = 0; i < kFewRows; i++) r[i] = rows + (o0 + std::min(i, live - 1)) * K;
      for (int64_t p0 = 0; p0 < P; p0 += 3) {
        const int q = static_cast<int>(std::min<int64_t>(3, P - p0));
        const float* c[3] = {cols + p0 * K, cols + std::min(p0 + 1, P - 1) * K, cols + std::min(p0 + 2, P - 1) * K};
        if (K == 0) {
          for (auto& d : dots) d[0] = d[1] = d[2] = 0.f;
        } else if (q == 3) {
          fewDots<3>(r, c, K, dots);
        } else if (q == 2) {
          fewDots<2>(r, c, K, dots);
        } else {
          fewDots<1>(r, c, K, dots);
        }
        for (int qi = 0; qi < q; qi++) {
          const int64_t p = p0 + qi, n = p / (g.OH * g.OW), pos = p % (g.OH * g.OW);
          for (int i = 0; i < live; i++) {
            const int64_t o = o0 + i, at = (n * g.O + o) * g.OH * g.OW + pos;
            float v = dots[i][qi];
            if (bias) v += bias[o];
            if (residual) v += residual[at];
            // max(0, v) keeps NaN, as the vector kernels' S::max(zero, v).
            if (relu && 0.f > v) v = 0.f;
            y[at] = v;
          }
        }
      }
    }
  });
}
