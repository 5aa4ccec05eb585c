// ISA fragment (see README.md): the forward kernel for one input channel (or a few) at stride 1 (LeNet's C1: 1 -> 6,
// 5x5, pad 2, 28x28). With one channel a tile has only KH x KW taps (25), so the tiled kernel spent about
// as long setting up each MR x 2-vector tile (pieces, lane masks, chunk loop) as computing it. Here the
// same tile (MR output channels x 2 vectors of output columns, filter values broadcast from the packed
// filter of the tiled kernel) runs down every output row of a column pair, so its setup is paid once per
// column pair and image, and each row costs its taps plus the epilogue.
// A few input channels take it too, their taps side by side in one list (offsets into a slab of all of
// them): 3-channel first layers (27 taps) paid the tiled kernel's setup per tile the same way; on AVX2 (Zen 2, 1 thread, CPU time, interleaved rounds, medians) 32x3x32x32 -> 96 34 -> 49 GFLOP/s and
// -> 16 40 -> 47 (there with 6 x 2 tiles instead of 4 x 2, whose loads bound the loop; the last tile's 4
// channels now run the 4-row kernel, not 6 rows with 2 padded).

constexpr int kSingleMaxTaps = 64;

/**
 * One input channel, or a few whose taps together stay within kSingleMaxTaps (a 3-channel first layer:
 * 27), no groups, stride and dilation 1, at least one full vector of output columns.
 */
bool singleChannelFits(const ConvGeom& g) {
  return g.C <= 4 && g.G == 1 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.OW >= S::N && g.Kdim <= kSingleMaxTaps;
}

/**
 * Output columns [cols[v], cols[v] + N) (v = 0, 1) of every row of MR channels (mr real; y, res at the first of
 * them), lanes `bits[v]` of each vector stored: K taps at slab offsets off[] from each row's start, filter ap [K][lda]
 * (lda >= MR: a tail tile of fewer channels runs a smaller kernel on the packed filter of the larger one).
 */
template <int MR, bool Moved>
void singleChannelColumns(const ConvGeom& g, const float* slab, int64_t Wq, const float* ap, int64_t lda, const int64_t* off, int64_t K,
                          const int64_t cols[2], const uint32_t bits[2], int mr, const float* bias, const float* res, bool relu, float* y) {
  using V = S::V;
  const V zero = S::zero();
  // In locals: y might alias g and bits as far as the compiler knows, so it re-read them after every store.
  const int64_t P = g.P, OW = g.OW, OH = g.OH;
  const uint32_t bits0 = bits[0], bits1 = bits[1];
  // Moved: the vectors overlap (a row's last pair, moved back); else they are adjacent, N apart.
  const int64_t col = cols[0], d = Moved ? cols[1] - cols[0] : S::N;
  const bool whole = bits0 == kAllLanes && bits1 == kAllLanes && mr == MR;
  for (int64_t oh = 0; oh < OH; oh++) {
    const float* s0 = slab + oh * Wq + col;
    // A second base pointer for a moved pair's second vector (a distance known only at run time).
    const float* s1 = s0 + d;
    V c[MR][2];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) c[i][0] = c[i][1] = zero;
    const float* a = ap;
    for (int64_t k = 0; k < K; k++) {
      // Lanes past the row read the next row or the slab's slack, and are never stored.
      const V b0 = S::load(s0 + off[k]), b1 = Moved ? S::load(s1 + off[k]) : S::load(s0 + off[k] + S::N);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        const V w = S::set1(a[i]);
        c[i][0] = S::fma(w, b0, c[i][0]);
        c[i][1] = S::fma(w, b1, c[i][1]);
      }
      a += lda;
    }
    const int64_t at = oh * OW + col;
    // max(0, v) returns v when v is NaN (the second operand), like the reference.
    if (whole) {
      // Every channel and lane stored: bias, residual and relu each as one block, then plain stores. With
      // 27 taps per row a store-by-store epilogue (lane and channel checks, masked-store fallback, per
      // store) took as long as a third of the multiply-adds: 32x3x32x32 -> 96 ran 55 -> 86 GFLOP/s this way.
      if (bias)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          const V b = S::set1(bias[i]);
          c[i][0] = S::add(c[i][0], b);
          c[i][1] = S::add(c[i][1], b);
        }
      if (res)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          c[i][0] = S::add(c[i][0], S::load(res + i * P + at));
          c[i][1] = S::add(c[i][1], S::load(res + i * P + at + d));
        }
      if (relu)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          c[i][0] = S::max(zero, c[i][0]);
          c[i][1] = S::max(zero, c[i][1]);
        }
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        S::store(y + i * P + at, c[i][0]);
        S::store(y + i * P + at + d, c[i][1]);
      }
      continue;
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      if (i >= mr) break;
#pragma GCC unroll 2
      for (int v = 0; v < 2; v++) {
        const uint32_t lanes = v ? bits1 : bits0;
        V r = c[i][v];
        if (bias) r = S::add(r, S::set1(bias[i]));
        if (res) r = S::add(r, loadLanes(res + i * P + at + v * d, lanes));
        if (relu) r = S::max(zero, r);
        storeLanes(y + i * P + at + v * d, lanes, r);
      }
    }
  }
}

using SingleColumnsFn = void (*)(const ConvGeom&, const float*, int64_t, const float*, int64_t, const int64_t*, int64_t, const int64_t*, const uint32_t*,
                                 int, const float*, const float*, bool, float*);

template <bool Moved>
SingleColumnsFn singleColumnsFor(int MR) {
  switch (MR) {
    case 1:
      return singleChannelColumns<1, Moved>;
    case 2:
      return singleChannelColumns<2, Moved>;
    case 4:
      return singleChannelColumns<4, Moved>;
    case 8:
      if constexpr (S::kMaxMR >= 8) return singleChannelColumns<8, Moved>;
      break;
    case 12:
      if constexpr (S::kMaxMR >= 12) return singleChannelColumns<12, Moved>;
      break;
    default:
      break;
  }
  return singleChannelColumns<6, Moved>;
}

/** ap: the tiled kernel's packed filter for tile height MR (packFilter). */
void forwardSingleChannel(const ConvGeom& g, const float* x, const float* ap, int MR, const float* bias, const float* residual, bool relu, float* y,
                          ThreadPool& pool) {
  constexpr int64_t N = S::N;
  const SingleColumnsFn columns = singleColumnsFor<false>(MR);
  // The last tile's channels, when fewer than MR, by the smallest kernel that holds them (16 channels in
  // tiles of 6: 6 + 6 + 4, not 18 rows with 2 computed for nothing).
  const int tailMR = static_cast<int>(g.Og - (g.Og - 1) / MR * MR);
  int tailKernel = MR;
  for (const int k : {1, 2, 4, 6, 8})
    if (k >= tailMR && k < tailKernel) {
      tailKernel = k;
      break;
    }
  const SingleColumnsFn tailColumns = singleColumnsFor<false>(tailKernel);
  const int64_t rows = g.OH + g.KH - 1;
  const int64_t slabFloats = Slab::floats(g, rows, g.C);
  const int64_t tilesM = (g.Og + MR - 1) / MR;
  const int64_t pairs = (g.OW + 2 * N - 1) / (2 * N);
  int64_t off[kSingleMaxTaps];
  const Slab layout(g, 0, rows, nullptr);
  const int64_t Wq = layout.Wq;
  for (int64_t c = 0, k = 0; c < g.C; c++)
    for (int64_t kh = 0; kh < g.KH; kh++)
      for (int64_t kw = 0; kw < g.KW; kw++) off[k++] = layout.tap(g, c, kh, kw);
  // Whole images per task when there are enough of them; otherwise column pairs of an image too (each
  // task then fills its own copy of the image's slab).
  const int64_t split = g.N >= 4 * pool.size() ? 1 : pairs;
  // A row that ends inside a column pair (LeNet's 28 columns: 16 + 12 on 8 lanes) has its last pair moved back
  // to end at the row's end, so that both vectors are whole (the columns both pairs cover are computed twice,
  // in the same order, and stored twice with the same bits): whole tiles take the block epilogue, where the
  // row's masked last vector took the store-by-store one on every row (AVX2, Zen 4, 1 thread, CPU time: LeNet
  // C1 64x1x28x28 forward 79-80 -> 85 GFLOP/s). Not on 16 lanes, whose masked stores are single instructions
  // (there the moved pair measured 82-84 against 85-88), nor with a residual (y may be the residual, which the
  // first store would change), nor where a task holds only part of a row (two tasks would store the same floats).
  constexpr bool kOverlap = S::N <= 8;
  const bool overlap = kOverlap && !residual && split == 1;
  const SingleColumnsFn movedColumns = kOverlap ? singleColumnsFor<kOverlap>(MR) : columns;
  const SingleColumnsFn movedTail = kOverlap ? singleColumnsFor<kOverlap>(tailKernel) : tailColumns;
  pool.run(g.N * split, [&](int64_t t) {
    const int64_t n = t / split, p0 = split == 1 ? 0 : t % split, p1 = split == 1 ? pairs : p0 + 1;
    float* slab = scratch(static_cast<size_t>(slabFloats), kSlabSlot);
    Slab(g, 0, rows, slab).fill(g, x + n * g.C * g.H * g.W, 0, g.C);
    for (int64_t mt = 0; mt < tilesM; mt++) {
      const int64_t o0 = mt * MR;
      const int mr = static_cast<int>(std::min<int64_t>(MR, g.Og - o0));
      float* yo = y + (n * g.O + o0) * g.P;
      const float* ro = residual ? residual + (n * g.O + o0) * g.P : nullptr;
      for (int64_t p = p0; p < p1; p++) {
        int64_t cols[2] = {p * 2 * N, p * 2 * N + N};
        if (overlap && cols[1] + N > g.OW) {
          cols[1] = g.OW - N;
          cols[0] = std::max<int64_t>(0, cols[1] - N);
        }
        const uint32_t bits[2] = {laneBits(0, std::min(N, g.OW - cols[0])), laneBits(0, std::min(N, g.OW - cols[1]))};
        const bool moved = cols[1] != cols[0] + N;
        const SingleColumnsFn fn = mr < MR ? (moved ? movedTail : tailColumns) : (moved ? movedColumns : columns);
        fn(g, slab, Wq, ap + mt * g.Kdim * MR, MR, off, g.Kdim, cols, bits, mr, bias ? bias + o0 : nullptr, ro, relu, yo);
      }
    }
  });
}
