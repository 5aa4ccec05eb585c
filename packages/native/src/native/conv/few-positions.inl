// The forward of layers with only a few output positions in all (batch x output height x output width): deep layers
// of small images at batch 1-2, such as ResNet-18's 512-channel layers on 32x32 inputs, whose maps are 1x1 and 2x2
// there. The tiled kernels put positions in the lanes (one of 8 used for a 1x1 map) and read the filter through a
// layout sized for many positions; here each output is the dot product of a filter row with one gathered column of
// the input, so the call streams the filter once, and only its live taps: taps that read nothing but padding for
// every output position (all but the middle one of a 3x3 pad-1 filter on a 1x1 map) are left out, packed once per
// filter by the FilterCache; where every tap is live the rows are read in place.
//
// Constant filters (compiled inference) take a third route, output channels in the lanes: the filter packed once as
// [tile of output channels][live tap][input channel][channel of the tile], so that a tile streams one contiguous
// block, prefetched ahead; each tap meets only the positions it reads the input for (on a 2x2 map with padding 1 a
// corner tap meets one position of four, where a dot product over a gathered column multiplies three by zero). Per
// input channel, the tap's two weight vectors against up to four positions' input values broadcast. In a ResNet-18
// pass on 32x32 inputs at batch 1 the filters stream from L3 (the layers before have pushed them out of L2): s46,
// Emerald Rapids, avx2, 1 thread pinned, model-profile compiled, 3 interleaved rounds, ms in kernels, the dot and
// lanes routes -> this one (prefetch off) -> with prefetch: 1.7-2.0 -> 1.4-1.7 -> 1.4-1.5; the three 256-channel 2x2
// layers 0.49-0.57 -> 0.32-0.40 -> 0.29-0.30, the three 128-channel 4x4 ones 0.29-0.34 -> 0.23-0.28 -> 0.21-0.22, the
// three 512-channel 1x1 ones 0.18-0.21 -> 0.14-0.18 -> 0.14-0.15. Trainable filters keep the routes below: packing
// per call (their version changes every step) cost more than the call (isa-check's forward column, 1x256x2x2 ->
// 256 39-48 -> 2.8-3.4 GFLOP/s with the pack), and the dot route reads their rows in place.

/**
 * Output positions (N x OH x OW) up to which every layer takes fewPositionsForward; maps of at most kFewMap positions
 * (2x2, 1x4) take it at any batch, as long as the gathered columns stay within kFewColumnFloats. Emerald Rapids, 1
 * thread, constant filter, us, the kernels before -> this one (avx2 / avx512): at 32 positions 8x256x2x2 -> 256
 * 1539 -> 461 / 1162 -> 314, 2x128x4x4 -> 128 237 -> 150 / 156 -> 138; at 64, 2x2 maps still gain (16x256x2x2
 * 3041 -> 1055 / 2264 -> 1068) but 4x4 and 8x8 maps lose (4x128x4x4 avx512 167 -> 277, 1x64x8x8 32 -> 103 / 20 -> 95).
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

/**
 * Positions in the lanes, for more positions than a dot pass holds: RL filter rows x V vectors of positions, each
 * filter value broadcast once a k-step against the V vectors of the gathered columns (colT: K rows of PP floats,
 * lanes past P zero); `a`: the rows' panel, K steps of RL values. out[r * V * S::N + lane].
 */
template <int RL, int V>
SN_INLINE void fewLanes(const float* a, const float* colT, int64_t PP, int64_t K, float* out) {
  S::V acc[RL][V];
#pragma GCC unroll 12
  for (int r = 0; r < RL; r++)
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) acc[r][v] = S::zero();
  for (int64_t k = 0; k < K; k++) {
    S::V c[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) c[v] = S::load(colT + k * PP + v * S::N);
#pragma GCC unroll 12
    for (int r = 0; r < RL; r++) {
      const S::V b = S::set1(a[k * RL + r]);
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) acc[r][v] = S::fma(b, c[v], acc[r][v]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < RL; r++)
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) S::store(out + (r * V + v) * S::N, acc[r][v]);
}

/** Positions up to which fewPositionsForward takes dot products (fewDots); past it, positions in the lanes (fewLanes). */
constexpr int64_t kFewDots = 8;
/** Most floats of K a dot pass takes before the next rows (the dot path's chunks: see there). */
constexpr int64_t kFewDotsChunk = 1152;

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
  // One output value: the epilogue (bias, residual, ReLU) and the store.
  const int64_t OHW = g.OH * g.OW;
  const auto store = [&](int64_t o, int64_t at, float v) {
    if (bias) v += bias[o];
    if (residual) v += residual[at];
    // max(0, v) keeps NaN, as the vector kernels' S::max(zero, v).
    if (relu && 0.f > v) v = 0.f;
    y[at] = v;
  };
  // Output channel o of position p.
  const auto put = [&](int64_t o, int64_t p, float v) { store(o, (p / OHW * g.O + o) * OHW + p % OHW, v); };
  // The run of taps [lo, hi) of one dimension that land inside the input (size `in`) from an output coordinate
  // whose first live tap sits at `at` (may lie in the padding), `step` apart: the others read padding.
  const auto inside = [](int64_t at, int64_t step, int64_t taps, int64_t in, int64_t* lo, int64_t* hi) {
    *lo = at >= 0 ? 0 : std::min(taps, (-at + step - 1) / step);
    *hi = at > in - 1 ? 0 : std::min(taps, (in - 1 - at) / step + 1);
    if (*hi < *lo) *hi = *lo;
  };
  // Position p's column over the live taps (channel, row, column), the input or zero where a tap reads padding: per
  // channel and tap row one run of columns copied between zeroed edges (an element-by-element test of every tap
  // was most of a 2x2 map's gather).
  const auto gather = [&](int64_t p, float* dst) {
    const int64_t n = p / OHW, oh = p / g.OW % g.OH, ow = p % g.OW;
    const int64_t ih0 = oh * g.SH - g.PT + th.first * g.DH, iw0 = ow * g.SW - g.PL + tw.first * g.DW;
    int64_t jLo, jHi;
    inside(iw0, g.DW, kw, g.W, &jLo, &jHi);
    for (int64_t c = 0; c < g.C; c++) {
      const float* plane = x + (n * g.C + c) * g.H * g.W;
      for (int64_t i = 0; i < kh; i++, dst += kw) {
        const int64_t ih = ih0 + i * g.DH;
        if (ih < 0 || ih >= g.H) {
          for (int64_t j = 0; j < kw; j++) dst[j] = 0.f;
          continue;
        }
        const int64_t at = ih * g.W + iw0;  // the first live tap's column (may lie in the padding)
        for (int64_t j = 0; j < jLo; j++) dst[j] = 0.f;
        for (int64_t j = jLo; j < jHi; j++) dst[j] = plane[at + j * g.DW];
        for (int64_t j = jHi; j < kw; j++) dst[j] = 0.f;
      }
    }
  };
  if (K == 0) {
    for (int64_t o = 0; o < g.O; o++)
      for (int64_t p = 0; p < P; p++) put(o, p, 0.f);
    return;
  }
  if (w.constant) {
    // Output channels in the lanes, one live tap at a time, each tap only against the positions it reads the input
    // for (no multiply-adds with padding): the filter packed once as [tile][tap][c][OB], so a tile streams one
    // contiguous block of it; the positions' partial sums wait in a per-thread block of P rows of OB floats.
    constexpr int64_t OB = kOcVectors * S::N;
    const int64_t tiles = (g.O + OB - 1) / OB, taps = kh * kw, HW = g.H * g.W, C = g.C;
    const FilterCache::Packed packedTaps =
        w.packed(layoutKey({22, g.O, g.C, g.KH, g.KW, th.first, kh, tw.first, kw, OB}), static_cast<size_t>(tiles * taps * C * OB),
                 [&](const float* raw, float* out) {
                   for (int64_t o = 0; o < g.O; o++)
                     for (int64_t c = 0; c < C; c++)
                       for (int64_t i = 0; i < kh; i++)
                         for (int64_t j = 0; j < kw; j++)
                           out[(((o / OB) * taps + i * kw + j) * C + c) * OB + o % OB] =
                               raw[((o * C + c) * g.KH + th.first + i) * g.KW + tw.first + j];
                 });
    // Per tap, the positions it reads the input for and where (channel 0's element): [tap] -> count, then pairs.
    static thread_local std::vector<int64_t> tapLists;
    tapLists.assign(static_cast<size_t>(taps * (1 + 2 * P)), 0);
    for (int64_t i = 0; i < kh; i++)
      for (int64_t j = 0; j < kw; j++) {
        int64_t* list = tapLists.data() + (i * kw + j) * (1 + 2 * P);
        for (int64_t p = 0; p < P; p++) {
          const int64_t n = p / OHW, oh = p / g.OW % g.OH, ow = p % g.OW;
          const int64_t ih = oh * g.SH - g.PT + (th.first + i) * g.DH, iw = ow * g.SW - g.PL + (tw.first + j) * g.DW;
          if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
          list[1 + 2 * list[0]] = p;
          list[2 + 2 * list[0]] = n * C * HW + ih * g.W + iw;
          list[0]++;
        }
      }
    const int64_t* lists = tapLists.data();
    const int64_t tileBytes = taps * C * OB * 4;
    const int64_t grain = std::max<int64_t>(1, (int64_t{64} << 10) / tileBytes);
    pool.parallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
      float* acc = scratch(static_cast<size_t>(P * OB), kPanelSlot);
      for (int64_t t = t0; t < t1; t++) {
        std::fill(acc, acc + P * OB, 0.f);
        for (int64_t tap = 0; tap < taps; tap++) {
          const int64_t* list = lists + tap * (1 + 2 * P);
          const float* wt = packedTaps->data() + (t * taps + tap) * C * OB;
          for (int64_t l0 = 0; l0 < list[0]; l0 += 4) {
            const int q = static_cast<int>(std::min<int64_t>(4, list[0] - l0));
            const float* xs[4];
            float* rowsOut[4];
            for (int qi = 0; qi < q; qi++) {
              xs[qi] = x + list[2 + 2 * (l0 + qi)];
              rowsOut[qi] = acc + list[1 + 2 * (l0 + qi)] * OB;
            }
            ocLanesUpTo4(q, wt, xs, HW, C, rowsOut);
          }
        }
        // The epilogue, one division a position rather than put's two an output: isa-check const, avx2, 1 thread, 4
        // interleaved rounds, GFLOP/s of the direct count: 1x256x2x2 * 256x256x3x3 75-79 -> 78-85, 1x512x1x1 * 512x512x3x3
        // 262-389 -> 309-417, 1x128x4x4 * 128x128x3x3 97-104 -> 101-107.
        const int64_t o0 = t * OB, rowsLive = std::min<int64_t>(OB, g.O - o0);
        for (int64_t p = 0; p < P; p++) {
          const int64_t n = p / OHW, at = (n * g.O + o0) * OHW + (p - n * OHW);
          for (int64_t l = 0; l < rowsLive; l++) store(o0 + l, at + l * OHW, acc[p * OB + l]);
        }
      }
    });
    return;
  }
  if (P <= kFewDots) {
    // Each position's column over the live taps, one row each.
    float* cols = scratch(static_cast<size_t>(P * K), kSlabSlot);
    for (int64_t p = 0; p < P; p++) gather(p, cols + p * K);
    // Passes of 4 positions by 3 rows where the positions come in fours (a 2x2 map: the filter streams in one pass),
    // else of up to 3 positions by 4 rows.
    const bool fours = P % 4 == 0;
    const int R = fours ? 3 : kFewRows, Q = fours ? 4 : 3;
    const int64_t tiles = (g.O + R - 1) / R;
    // A tile reads R x K floats of the filter: tasks of at least 48-64 KiB of it.
    const int64_t grain = std::max<int64_t>(1, (int64_t{16} << 10) / (R * K));
    // K in even chunks of at most kFewDotsChunk floats, each taken down the task's rows before the next, so that the
    // chunk of the columns (4 x 4.5 KiB at most) stays in L1 while the filter streams past it: whole, a 256-channel
    // 3x3 layer's 4 columns are 36 KiB, and the filter lines streamed between two uses of a column line evicted it.
    const int64_t chunks = (K + kFewDotsChunk - 1) / kFewDotsChunk;
    const int64_t KC = (K / chunks + S::N - 1) / S::N * S::N;
    pool.parallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
      float dots[kFewRows][4];
      // The task's partial sums between chunks: [tile][row][position].
      float* part = chunks > 1 ? scratch(static_cast<size_t>((t1 - t0) * R * P), kPanelSlot) : nullptr;
      for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        const bool first = k0 == 0, last = k0 + kc == K;
        for (int64_t t = t0; t < t1; t++) {
          const int64_t o0 = t * R;
          const int live = static_cast<int>(std::min<int64_t>(R, g.O - o0));
          const float* r[kFewRows];
          // Rows past O repeat the last one (computed, not stored).
          for (int i = 0; i < R; i++) r[i] = rows + (o0 + std::min(i, live - 1)) * K + k0;
          float* sums = part ? part + (t - t0) * R * P : nullptr;
          for (int64_t p0 = 0; p0 < P; p0 += Q) {
            const int q = static_cast<int>(std::min<int64_t>(Q, P - p0));
            const float* c[4];
            for (int i = 0; i < 4; i++) c[i] = cols + std::min(p0 + i, P - 1) * K + k0;
            if (fours) {
              fewDots<3, 4>(r, c, kc, dots);
            } else {
              fewDotsUpTo3(r, c, q, kc, dots);
            }
            for (int qi = 0; qi < q; qi++)
              for (int i = 0; i < live; i++) {
                float v = dots[i][qi];
                if (sums && !first) v += sums[i * P + p0 + qi];
                if (last) {
                  put(o0 + i, p0 + qi, v);
                } else {
                  sums[i * P + p0 + qi] = v;
                }
              }
          }
        }
      }
    });
    return;
  }
  // Positions in the lanes: the columns transposed, K rows of PP floats (whole pairs of vectors, lanes past P zero);
  // passes of 6 rows x 2 vectors, or 12 rows x 1 vector where one vector holds every position.
  const bool single = P <= S::N;
  const int64_t PP = single ? S::N : (P + 2 * S::N - 1) / (2 * S::N) * (2 * S::N);
  // One vector of slack past colT and the padded input: the copies below move whole vectors (see there).
  float* colT = scratch(static_cast<size_t>(K * PP + S::N), kSlabSlot);
  {
    // The input over the rows and columns the live taps read, its padding written out as zeros: padded[n][c][r][q] =
    // x[n][c][ihLo + r][iwLo + q]. Then colT is filled row by row (tap k across the positions), so that the stores run
    // along it, each row a strided copy of whole runs of output columns with no test per position (a
    // position-by-position fill stored a cache line apart, K lines a position: a third of a 4x4 map's call; an
    // element-by-element test of every position with runs between zeroed edges, 31% and 29% of a 1x128x4x4 -> 128
    // call, perf record, s45).
    const int64_t ihLo = th.first * g.DH - g.PT, iwLo = tw.first * g.DW - g.PL;
    const int64_t Hp = (g.OH - 1) * g.SH + (kh - 1) * g.DH + 1, Wp = (g.OW - 1) * g.SW + (kw - 1) * g.DW + 1;
    float* padded = scratch(static_cast<size_t>(g.N * g.C * Hp * Wp + S::N), kPhaseSlot);
    for (int64_t nc = 0; nc < g.N * g.C; nc++) {
      const float* plane = x + nc * g.H * g.W;
      float* dst = padded + nc * Hp * Wp;
      for (int64_t r = 0; r < Hp; r++, dst += Wp) {
        const int64_t ih = ihLo + r;
        if (ih < 0 || ih >= g.H) {
          for (int64_t q = 0; q < Wp; q++) dst[q] = 0.f;
          continue;
        }
        const float* src = plane + ih * g.W;
        for (int64_t q = 0; q < Wp; q++) {
          const int64_t iw = iwLo + q;
          dst[q] = iw >= 0 && iw < g.W ? src[iw] : 0.f;
        }
      }
    }
    // The geometry in locals: the vector stores may alias g as far as the compiler knows, which reloaded its fields
    // after each one.
    const int64_t N = g.N, C = g.C, OH = g.OH, OW = g.OW, DH = g.DH, DW = g.DW, SW = g.SW, rowStep = g.SH * Wp;
    float* row = colT;
    for (int64_t c = 0; c < C; c++)
      for (int64_t i = 0; i < kh; i++)
        for (int64_t j = 0; j < kw; j++, row += PP) {
          float* dst = row;
          for (int64_t n = 0; n < N; n++) {
            const float* src = padded + ((n * C + c) * Hp + i * DH) * Wp + j * DW;
            for (int64_t oh = 0; oh < OH; oh++, dst += OW, src += rowStep) {
              if (SW == 1) {
                // Whole vectors: the last may run up to N - 1 floats past the run, into the next run (written after
                // this one), this row's padding (zeroed after its runs) or the slack; its source past the plane reads
                // the next plane or the slack. A 4-float run as a loop with its alias and trip-count checks took a
                // third of the fill.
                for (int64_t ow = 0; ow < OW; ow += S::N) S::store(dst + ow, S::load(src + ow));
              } else {
                for (int64_t ow = 0; ow < OW; ow++) dst[ow] = src[ow * SW];
              }
            }
          }
          for (int64_t q = P; q < PP; q++) row[q] = 0.f;
        }
  }
  const int RL = single ? 12 : 6;
  const int64_t tiles = (g.O + RL - 1) / RL;
  // The live rows in panels of RL, K steps of RL values (rows past O zero), packed once per filter.
  const FilterCache::Packed panels =
      w.packed(layoutKey({21, g.O, g.C, g.KH, g.KW, th.first, kh, tw.first, kw, RL}), static_cast<size_t>(tiles * K * RL),
               [&](const float*, float* out) {
                 for (int64_t t = 0; t < tiles; t++)
                   for (int i = 0; i < RL && t * RL + i < g.O; i++) {
                     const float* src = rows + (t * RL + i) * K;
                     float* dst = out + t * K * RL + i;
                     for (int64_t k = 0; k < K; k++) dst[k * RL] = src[k];
                   }
               });
  const int64_t grain = std::max<int64_t>(1, (int64_t{16} << 10) / (RL * K));
  pool.parallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
    alignas(64) float out[12 * S::N];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o0 = t * RL;
      const int live = static_cast<int>(std::min<int64_t>(RL, g.O - o0));
      const float* a = panels->data() + t * K * RL;
      for (int64_t p0 = 0; p0 < PP; p0 += single ? S::N : 2 * S::N) {
        const int width = single ? S::N : 2 * S::N;
        if (single) {
          fewLanes<12, 1>(a, colT + p0, PP, K, out);
        } else {
          fewLanes<6, 2>(a, colT + p0, PP, K, out);
        }
        for (int i = 0; i < live; i++)
          for (int l = 0; l < width && p0 + l < P; l++) put(o0 + i, p0 + l, out[i * width + l]);
      }
    }
  });
}
