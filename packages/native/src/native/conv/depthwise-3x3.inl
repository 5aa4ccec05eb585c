// ISA fragment (see README.md): 3x3 depthwise layers (one input and one output channel per group) at unit
// strides and dilation, forward (the filter gradient: depthwise-3x3-filter-grad.inl), each plane read in
// place: no padded copy. The three
// column shifts of an input vector are loaded straight from its row; at the plane's edges the one shift
// that reaches one column past the row is made in registers from its neighbour (other edges: masked
// loads); rows above or below the plane read a zero row. The input gradient of these layers
// is the forward on the flipped filter (backprop-input.inl), so it runs here too.

/** Whether the in-place 3x3 kernels take the geometry: one channel in and out per group, 3x3, unit strides and dilation. */
bool depthwise3x3Fits(const ConvGeom& g) {
  return g.Cg == 1 && g.Og == 1 && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1;
}

/** The lanes of the three column shifts (taps kw = 0, 1, 2) of the vector at input column col that lie in the row (and in `lanes`). */
SN_INLINE bool dw3Masks(int64_t col, int64_t W, uint32_t lanes, uint32_t* bits) {
  bool full = lanes == kAllLanes;
  for (int kw = 0; kw < 3; kw++) {
    bits[kw] = rowBits(col + kw, W, static_cast<int>(S::N)) & lanes;
    full = full && bits[kw] == kAllLanes;
  }
  return full;
}

/**
 * How a vector column reads its three column shifts: all three whole in the row (Whole); the left edge
 * at column -1, the shift one lane back made from the next one in registers (Left); the right edge, the
 * last shift one lane on from the middle one, its top lane past the row (Right); any other, masked loads.
 * The edge vectors took masked loads before, and two of a 56-column row's seven 8-lane vector columns ran
 * at about half the speed of the others (more registers than AVX2 has: the masks pushed the weights out).
 */
enum class Dw3Edge { Whole, Left, Right, Masked };

/** Which Dw3Edge takes the vector whose three shifts have lane bits `bits` (dw3Masks) and whose outputs fill `lanes`. */
Dw3Edge dw3Edge(const uint32_t* bits, uint32_t lanes) {
  if (lanes != kAllLanes || bits[1] != kAllLanes) return Dw3Edge::Masked;
  if (bits[0] == kAllLanes && bits[2] == kAllLanes) return Dw3Edge::Whole;
  if (bits[0] == (kAllLanes & ~1u) && bits[2] == kAllLanes) return Dw3Edge::Left;
  if (bits[0] == kAllLanes && bits[2] == kAllLanes >> 1) return Dw3Edge::Right;
  return Dw3Edge::Masked;
}

/** The three column shifts of the input vector at src (m: their masks, for Masked only). */
template <Dw3Edge E>
SN_INLINE void dw3Shifts(const float* src, const S::M* m, S::V* v) {
  if constexpr (E == Dw3Edge::Left) {
    v[1] = S::load(src + 1);
    v[2] = S::load(src + 2);
    v[0] = S::slideIn(S::zero(), v[1]);
  } else if constexpr (E == Dw3Edge::Right) {
    v[0] = S::load(src);
    v[1] = S::load(src + 1);
    v[2] = S::slideOut(v[1], S::zero());
  } else {
#pragma GCC unroll 3
    for (int kw = 0; kw < 3; kw++) {
      if constexpr (E == Dw3Edge::Masked) {
        v[kw] = S::maskLoad(m[kw], src + kw);
      } else {
        v[kw] = S::load(src + kw);
      }
    }
  }
}

/** The three column shifts of input row ih at column col (the zero row outside the plane). */
template <Dw3Edge E>
SN_INLINE void dw3Load(const float* x, const float* zeros, int64_t H, int64_t W, int64_t ih, int64_t col, const S::M* m, S::V* v) {
  dw3Shifts<E>((ih >= 0 && ih < H ? x + ih * W : zeros) + col, m, v);
}

/** The products of filter row kh with the three column shifts v, plus acc (bias) or, without it, alone. */
SN_INLINE S::V dw3Row(const S::V* wv, int kh, const S::V* v, const S::V* acc) {
  S::V s = acc ? S::fma(wv[kh * 3], v[0], *acc) : S::mul(wv[kh * 3], v[0]);
  s = S::fma(wv[kh * 3 + 1], v[1], s);
  return S::fma(wv[kh * 3 + 2], v[2], s);
}

/**
 * The next plane's lines, fetched as the current plane's vector column passes go down its rows (where the
 * kernel's Fetch is true): one x address (read) and one y address (write) per output row, `step` bytes on
 * from the last (x and y: the first addresses of this pass). Without a next plane they point at this one's
 * lines.
 */
struct Dw3Ahead {
  const char* x;
  const char* y;
  int64_t step;
};

/**
 * Output rows [o0, o1) of one vector column (out, rs: its first row, OW apart), going down the input
 * rows: each input row's three column shifts are loaded once and feed the three output rows whose window
 * holds it, whose sums ride along in registers (a0 completes with that row, a2 starts). Each row's three
 * products are a chain of their own, added to its output's sum after (on the adders, beside the
 * multiply-adds), so that an output waits on 3 multiply-adds and 2 adds, not a chain of 9 (Zen 4, AVX2,
 * 1x16x56x56, 1 thread, CPU time, interleaved: forward 86 -> 88 GFLOP/s, input gradient 83 -> 85.5).
 * lanes: the output lanes to store.
 */
template <Dw3Edge E, bool Fetch>
SN_INLINE void dw3FwdColumn(const float* x, const float* zeros, int64_t H, int64_t W, int64_t OW, int64_t PT, int64_t o0, int64_t o1, int64_t col,
                            const S::M* m, const S::V* wv, S::V b, float* out, const float* rs, bool relu, uint32_t lanes, const Dw3Ahead& ahead) {
  S::V v[3];
  dw3Load<E>(x, zeros, H, W, o0 - PT, col, m, v);
  S::V a0 = dw3Row(wv, 0, v, &b);
  dw3Load<E>(x, zeros, H, W, o0 - PT + 1, col, m, v);
  a0 = S::add(a0, dw3Row(wv, 1, v, nullptr));
  S::V a1 = dw3Row(wv, 0, v, &b);
  const bool plain = lanes == kAllLanes && !rs && !relu;
  const char* fx = ahead.x;
  const char* fy = ahead.y;
  for (int64_t oh = o0; oh < o1; oh++) {
    dw3Load<E>(x, zeros, H, W, oh - PT + 2, col, m, v);
    if constexpr (Fetch) {
      __builtin_prefetch(fx, 0, 3);
      __builtin_prefetch(fy, 1, 3);
      fx += ahead.step;
      fy += ahead.step;
    }
    a0 = S::add(a0, dw3Row(wv, 2, v, nullptr));
    const S::V a2 = dw3Row(wv, 0, v, &b);
    a1 = S::add(a1, dw3Row(wv, 1, v, nullptr));
    if (plain) {
      S::store(out + oh * OW, a0);
    } else {
      if (rs) a0 = S::add(a0, loadLanes(rs + oh * OW, lanes));
      if (relu) a0 = S::max(S::zero(), a0);
      storeLanes(out + oh * OW, lanes, a0);
    }
    a0 = a1;
    a1 = a2;
  }
}

/**
 * A last vector column with lanes past the row (56 columns on 16 lanes: 8 of 16) moved back to end at
 * the row's end, OW - N, where its shifts are whole or an edge made in registers, its loads unmasked: it
 * stores only the lanes from c0 on (the columns before are the previous vector's). Unchanged (Masked)
 * where the row is narrower than a vector or the moved vector would still need masked loads.
 */
void dw3Overlap(int64_t W, int64_t OW, int64_t PL, int64_t c0, int64_t* c, uint32_t* lanes, uint32_t* bits, Dw3Edge* edge) {
  if (OW < S::N || c0 + S::N <= OW) return;
  uint32_t moved[3];
  dw3Masks(OW - S::N - PL, W, kAllLanes, moved);
  const Dw3Edge e = dw3Edge(moved, kAllLanes);
  if (e == Dw3Edge::Masked) return;
  *c = OW - S::N;
  *lanes = laneBits(c0 - *c, S::N);
  for (int k = 0; k < 3; k++) bits[k] = moved[k];
  *edge = e;
}

/** The forward of one plane x (H x W) into out (OH x OW), residual plane res or null; zeros: a zero row of W floats. */
template <bool Fetch>
void dw3Plane(const ConvGeom& g, const float* x, const float* zeros, const float* w, float bias, const float* res, bool relu, float* out,
              const float* nextX, const float* nextY) {
  constexpr int64_t N = S::N;
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, PT = g.PT, PL = g.PL;
  S::V wv[9];
#pragma GCC unroll 9
  for (int k = 0; k < 9; k++) wv[k] = S::set1(w[k]);
  const S::V b = S::set1(bias);
  // Whole-plane passes down each vector column. Bands of 16 rows on 8 lanes had measured better on the
  // memory-bound 8x64x56x56 (s31); with the edge shifts in registers whole passes ran it faster on AVX2
  // (Zen 4, 1 thread, CPU time, 4 rounds interleaved with main, load 13-15: 69 -> 75 GFLOP/s forward, the
  // cache-resident 1x16x56x56 77 -> 87).
  // Each pass fetches its share of the task's next plane, x lines to read and y lines to write, spread
  // over the passes' output rows `step` bytes apart (a multiple of 4 that keeps every address in the
  // plane; 32 at 56x56 on 8 lanes, each line fetched twice; 56 on 16 lanes). A plane is about three pages,
  // which the hardware prefetchers do not follow from one plane to the next, and the column passes touch
  // every page of it from the first pass on. Zen 5, isa-check --bench-only "x1x3x3" --reps 7 --cpu-time, main
  // and this interleaved as separate processes, 3 rounds, GFLOP/s 8x64x56x56 forward / input gradient:
  // AVX2 1 thread at load 4.7 49.0-68.1 / 52.0-70.6 -> 63.5-70.3 / 72.2-77.9, 2 threads 53.4-67.8 ->
  // 63.7-77.2 forward; at load 7-8 16.6-41.4 -> 36.4-44.3 forward, AVX-512 31.4-60.7 -> 54.1-96.4 (at load
  // 26-34 main swings 3x between rounds, this build does not: AVX2 18.8-50.4 -> 60.6-68.1). The fetches
  // are off below kDw3FetchBytes, but this build still ran the cache-resident 1x16x56x56's AVX2 forward
  // 87.7-89.7 -> 82.4-83.9 at load 4.7 (AVX-512 104.6-104.8 -> 105.1-105.6): not found why.
  const int64_t passes = (OW + N - 1) / N;
  const int64_t bytes = 4 * std::min(H * W, OH * OW), step = std::max<int64_t>(4, bytes / (passes * OH) / 4 * 4);
  const char* ax = reinterpret_cast<const char*>(nextX ? nextX : x);
  const char* ay = reinterpret_cast<const char*>(nextY ? nextY : out);
  for (int64_t c0 = 0; c0 < OW; c0 += N) {
    const int64_t at = std::min(bytes - 4, c0 / N * OH * step);
    const Dw3Ahead ahead{ax + at, ay + at, step * OH + at <= bytes ? step : 0};
    int64_t c = c0;
    uint32_t lanes = laneBits(0, std::min<int64_t>(N, OW - c));
    uint32_t bits[3];
    dw3Masks(c - PL, W, lanes, bits);
    Dw3Edge edge = dw3Edge(bits, lanes);
    if (edge == Dw3Edge::Masked) dw3Overlap(W, OW, PL, c0, &c, &lanes, bits, &edge);
    const float* rc = res ? res + c : nullptr;
    switch (edge) {
      case Dw3Edge::Whole:
        dw3FwdColumn<Dw3Edge::Whole, Fetch>(x, zeros, H, W, OW, PT, 0, OH, c - PL, nullptr, wv, b, out + c, rc, relu, lanes, ahead);
        break;
      case Dw3Edge::Left:
        dw3FwdColumn<Dw3Edge::Left, Fetch>(x, zeros, H, W, OW, PT, 0, OH, c - PL, nullptr, wv, b, out + c, rc, relu, lanes, ahead);
        break;
      case Dw3Edge::Right:
        dw3FwdColumn<Dw3Edge::Right, Fetch>(x, zeros, H, W, OW, PT, 0, OH, c - PL, nullptr, wv, b, out + c, rc, relu, lanes, ahead);
        break;
      case Dw3Edge::Masked: {
        const S::M m[3] = {S::mask(bits[0]), S::mask(bits[1]), S::mask(bits[2])};
        dw3FwdColumn<Dw3Edge::Masked, Fetch>(x, zeros, H, W, OW, PT, 0, OH, c - PL, m, wv, b, out + c, rc, relu, lanes, ahead);
        break;
      }
    }
  }
}

/** Planes per task: about 64K outputs, and at least two tasks per thread where there are enough planes. */
int64_t dw3PlanesPerTask(const ConvGeom& g, int threads) {
  const int64_t planes = g.N * g.G;
  return std::max<int64_t>(1, std::min<int64_t>(planes / (2 * threads) + 1, (int64_t{1} << 16) / std::max<int64_t>(1, g.P)));
}

/** Input and output bytes above which the forward fetches each task's next plane (dw3Plane): more than a core's 1 MB L2 (Zen 4, Zen 5). */
constexpr int64_t kDw3FetchBytes = int64_t{1} << 20;

void depthwise3x3Forward(const ConvGeom& g, const float* x, const float* w, const float* bias, const float* residual, bool relu, float* y,
                         ThreadPool& pool) {
  const int64_t planes = g.N * g.G, per = dw3PlanesPerTask(g, pool.size());
  // Cache-resident layers run the loop without them (a separate instantiation: a run-time test in the loop
  // took 1x16x56x56's avx512 forward from 110-116 to 100-106 GFLOP/s; the fetches themselves to 70-99).
  const bool fetch = 4 * planes * (g.H * g.W + g.P) > kDw3FetchBytes;
  pool.run((planes + per - 1) / per, [&](int64_t t) {
    float* zeros = scratch(static_cast<size_t>(g.W), kSlabSlot);
    std::fill(zeros, zeros + g.W, 0.f);
    for (int64_t pl = t * per; pl < std::min(planes, (t + 1) * per); pl++) {
      const int64_t grp = pl % g.G;
      const float* rp = residual ? residual + pl * g.P : nullptr;
      const bool next = pl + 1 < std::min(planes, (t + 1) * per);
      const float* nextX = next ? x + (pl + 1) * g.H * g.W : nullptr;
      float* nextY = next ? y + (pl + 1) * g.P : nullptr;
      if (fetch) {
        dw3Plane<true>(g, x + pl * g.H * g.W, zeros, w + grp * 9, bias ? bias[grp] : 0.f, rp, relu, y + pl * g.P, nextX, nextY);
      } else {
        dw3Plane<false>(g, x + pl * g.H * g.W, zeros, w + grp * 9, bias ? bias[grp] : 0.f, rp, relu, y + pl * g.P, nextX, nextY);
      }
    }
  });
}
