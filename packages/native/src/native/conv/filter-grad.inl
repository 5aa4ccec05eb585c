// ISA fragment (see README.md): the filter gradient, a dW^T tile of kFilterMR taps x NV vectors of output
// channels accumulated over output positions, input values broadcast straight from the padded slab and
// dy packed once per image as panels of NV x N channels.

constexpr int kFilterMR = S::kFilterMR;

/**
 * Vectors of output channels per dy^T panel (and per tile of this kernel and the Winograd filter gradient's
 * GEMM): 2; on 16 lanes 1 where an odd count of vectors holds the channels (16, 48, 80), which 2-vector
 * panels padded by a vector: a 16-channel layer did half its multiply-adds on zeros (Zen 4, AVX-512).
 * 12 taps x 1 vector still has 12 independent accumulators; 8 lanes keep 2 (6 x 1 would be 6).
 */
constexpr bool kOneVectorPanels = S::N == 16;
int filterPanelVectors(int64_t channels) { return kOneVectorPanels && (channels + S::N - 1) / S::N % 2 == 1 ? 1 : 2; }

/**
 * Where a tile's sums go: MR rows of a partial dW^T (accStride apart, a panel of channels), added to; or,
 * where dw is set, straight into dW's rows of the panel's `on` channels (kdim apart), overwritten.
 */
struct TileOut {
  float* acc;
  int64_t accStride;
  float* dw;
  int64_t kdim, on;
};

/**
 * out += (or =) the taps at rowBase x the dy^T panel bt over output rows [oh0, oh1) of `images`
 * consecutive images (their slabs imageStride floats apart, their panels btImage; bt holds the panel from
 * output row btRow0 on). MR >= mr: the last tap tile of fewer taps runs a smaller kernel. PP: positions a
 * step, each with its own accumulators (added at the end), so that a tile of few taps still has as many
 * independent sums as a whole one.
 */
template <int NV, int MR, int PP = 1>
void filterTile(const float* const* rowBase, int64_t images, int64_t imageStride, int64_t oh0, int64_t oh1, int64_t OW, int64_t rowStride,
                const float* bt, int64_t btImage, int64_t btRow0, const TileOut& out, int mr) {
  constexpr int64_t kPanel = NV * S::N;
  S::V c[PP][MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
      c[0][i][v] = out.dw ? S::zero() : S::load(out.acc + i * out.accStride + v * S::N);
#pragma GCC unroll 2
      for (int q = 1; q < PP; q++) c[q][i][v] = S::zero();
    }
  for (int64_t img = 0; img < images; img++) {
    for (int64_t oh = oh0; oh < oh1; oh++) {
      const float* r[MR];
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) r[i] = rowBase[i] + img * imageStride + oh * rowStride;
      const float* b = bt + img * btImage + (oh - btRow0) * OW * kPanel;
      int64_t ow = 0;
      for (; ow + PP <= OW; ow += PP) {
#pragma GCC unroll 2
        for (int q = 0; q < PP; q++) {
          S::V bv[NV];
#pragma GCC unroll 2
          for (int v = 0; v < NV; v++) bv[v] = S::load(b + q * kPanel + v * S::N);
#pragma GCC unroll 16
          for (int i = 0; i < MR; i++) {
            const S::V a = S::set1(r[i][ow + q]);
#pragma GCC unroll 2
            for (int v = 0; v < NV; v++) c[q][i][v] = S::fma(a, bv[v], c[q][i][v]);
          }
        }
        b += PP * kPanel;
      }
      for (; ow < OW; ow++) {
        S::V bv[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) bv[v] = S::load(b + v * S::N);
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          const S::V a = S::set1(r[i][ow]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; v++) c[0][i][v] = S::fma(a, bv[v], c[0][i][v]);
        }
        b += kPanel;
      }
    }
  }
#pragma GCC unroll 2
  for (int q = 1; q < PP; q++)
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) c[0][i][v] = S::add(c[0][i][v], c[q][i][v]);
  if (out.dw) {
    // Tap i's sums are column i of the panel's dW rows: through the stack, one float at a time (stored
    // with constant indices, so that the accumulators stay in registers).
    alignas(64) float t[MR][kPanel];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) S::store(t[i] + v * S::N, c[0][i][v]);
    for (int64_t o = 0; o < out.on; o++)
      for (int i = 0; i < mr; i++) out.dw[o * out.kdim + i] = t[i][o];
    return;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) S::store(out.acc + i * out.accStride + v * S::N, c[0][i][v]);
  }
}

using FilterTileFn = void (*)(const float* const*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const TileOut&,
                             int);

/**
 * The tile for mr taps: kFilterMR, or for a last tile of fewer taps the smallest of 2, 4, 6 and 8 rows that
 * holds them (the 7x7 stem's 147 taps: 12 x 12 + 3, whose last 12-row tile did four times the work it needed).
 */
template <int NV>
FilterTileFn filterTileFor(int mr) {
  // Three taps (the stem's last tile) in pairs of positions: 2 x 3 x NV sums, as many as a whole 6-tap tile on
  // 16 registers, where the 4-tap tile did a third more multiply-adds than needed with two thirds of the sums.
  if (mr == 3 && 2 * 3 * NV <= 2 * kFilterMR) return filterTile<NV, 3, 2>;
  if (mr <= 2) return filterTile<NV, 2>;
  if (mr <= 4) return filterTile<NV, 4>;
  if constexpr (kFilterMR > 6) {
    if (mr <= 6) return filterTile<NV, 6>;
    if (mr <= 8 && kFilterMR > 8) return filterTile<NV, 8>;
  }
  return filterTile<NV, kFilterMR>;
}

/** Transposes the N x N block r (rows in, columns out) in place: log2(N) rounds of zipping row i with row i + N/2. */
SN_INLINE void transposeBlock(S::V* r) {
  for (int round = S::N; round > 1; round /= 2) {
    S::V t[S::N];
#pragma GCC unroll 16
    for (int i = 0; i < S::N / 2; i++) {
      t[2 * i] = S::zipLo(r[i], r[i + S::N / 2]);
      t[2 * i + 1] = S::zipHi(r[i], r[i + S::N / 2]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < S::N; i++) r[i] = t[i];
  }
}

/**
 * One dy^T panel: dst[p][NV N] = src[o * stride + p] for positions p < P of the `on` channels of the
 * panel, zero past them. N x N blocks go through vector transposes (a scalar scatter of the panel took a
 * sixth of a 16-channel layer's filter gradient on AVX2); the last P % N positions are copied one by one.
 */
template <int NV>
void packDyPanel(const float* src, int64_t stride, int64_t P, int64_t on, float* dst) {
  constexpr int64_t kPanel = NV * S::N;
  int64_t p = 0;
  for (; p + S::N <= P; p += S::N) {
#pragma GCC unroll 2
    for (int h = 0; h < NV; h++) {
      S::V r[S::N];
#pragma GCC unroll 16
      for (int i = 0; i < S::N; i++) r[i] = h * S::N + i < on ? S::load(src + (h * S::N + i) * stride + p) : S::zero();
      transposeBlock(r);
#pragma GCC unroll 16
      for (int i = 0; i < S::N; i++) S::store(dst + (p + i) * kPanel + h * S::N, r[i]);
    }
  }
  for (; p < P; p++)
    for (int64_t o = 0; o < kPanel; o++) dst[p * kPanel + o] = o < on ? src[o * stride + p] : 0.f;
}

/**
 * How the pool shares a filter gradient: `parts` runs of images, each summed into its own partial dW^T
 * (added up afterwards), times `chunks` runs of tap tiles. Images split the multiply-adds without repeating
 * any packing but cost a partial per part and the pass that adds them, and leave threads idle when the batch
 * does not divide; tap tiles need no partials, but every chunk packs every image of its part. Picked by a
 * rough per-thread cost in multiply-add cycles (16 per cycle), packed floats and partial floats (about one
 * cycle each). Results depend on the split only, which depends on the thread count, not on timing.
 */
struct FilterSplit {
  int64_t parts, chunks;
};

FilterSplit filterSplit(const ConvGeom& g, int threads, int64_t jTiles, int64_t packFloats, int64_t partFloats) {
  const double macs = static_cast<double>(g.P) * static_cast<double>(g.Kdim) * static_cast<double>(g.O) / 16.0;
  const double pack = static_cast<double>(packFloats);
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, g.N));
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(jTiles, (threads + parts - 1) / parts));
  const double perPart = static_cast<double>((g.N + parts - 1) / parts);
  const double byImages = perPart * (macs / static_cast<double>(chunks) + pack) + 2.0 * static_cast<double>(parts * partFloats) / threads;
  const int64_t tapChunks = std::min<int64_t>(jTiles, threads);
  const double byTaps = static_cast<double>(g.N) * (macs / static_cast<double>(tapChunks) + pack) + static_cast<double>(partFloats) / threads;
  if (threads > 1 && byTaps < byImages) return {1, tapChunks};
  // Up to 2 parts per thread, claimed as threads come free: a thread that starts late (the machine's other
  // jobs) leaves its images to the others instead of holding up the call. Each extra part costs its partial's
  // zeroing and its share of the sum, so parts double only while all partials stay under 1/32 of the work
  // (ResNet-20 b32 at 2 threads: 4 parts for 16 and 32 channels, 2 for 64, whose partials are 147 KB each).
  int64_t more = parts;
  while (threads > 1 && chunks == 1 && 2 * more <= std::min<int64_t>(g.N, 2 * threads) &&
         2.0 * static_cast<double>(2 * more * partFloats) <= static_cast<double>(g.N) * macs / 32.0)
    more *= 2;
  return {more, chunks};
}

template <int NV>
void tiledFilterGradBy(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  constexpr int MR = kFilterMR;
  constexpr int64_t kPanel = NV * S::N;
  const int threads = pool.size();
  const int64_t jTiles = (g.Kdim + MR - 1) / MR;
  const int64_t panels = (g.Og + kPanel - 1) / kPanel;
  const int64_t accStride = panels * kPanel;
  // Partial dW^T per part: [grp][Kdim (+ tile padding)][accStride].
  const int64_t kRows = jTiles * MR;
  const int64_t partFloats = g.G * kRows * accStride;
  const int64_t rows = g.H + g.PT + g.PB;
  const FilterSplit split = filterSplit(g, threads, jTiles, g.G * (Slab::floats(g, rows, g.Cg) + panels * g.P * kPanel), partFloats);
  const int64_t parts = split.parts, chunks = split.chunks;
  // Output rows per block: the block's dy panel (and input rows) stay in cache while every tap tile sweeps
  // it. 16 positions per panel lane: 512 for 32-lane panels (measured on Zen 5), 256 for 16-lane (Zen 3).
  // At least 4 rows: the 7x7 stem's 2 rows of 112 columns on AVX2 cost a tile call, its accumulators' loads
  // and stores and its row set-up per 224 positions (Zen 4, 1 thread, CPU time, 8 interleaved rounds, load
  // ~8: 94-96 -> 98-100 GFLOP/s with 4 rows; 6 rows no faster; AVX-512's 4 rows of 32-lane panels unchanged).
  const int64_t positions = 16 * kPanel;
  const int64_t rowsPerBlock = std::min<int64_t>(g.OH, std::max<int64_t>(4, positions / std::max<int64_t>(1, g.OW)));
  // Images small enough for one block go through the tiles a few at a time, so that each tile's
  // accumulators are loaded and stored once per group, not per 64 positions (8x8 layers).
  int64_t groupImages = rowsPerBlock >= g.OH ? std::max<int64_t>(1, positions / std::max<int64_t>(1, g.P)) : 1;
  // One part whose images fill at most two blocks goes through the tiles all at once, and each tile's sums
  // go straight into dW: no partial dW^T to zero, add up and transpose (a sixth of the 256-channel 14x14
  // layer's filter gradient at batch 2 on AVX2).
  const bool oneBlock = rowsPerBlock >= g.OH;
  if (parts == 1 && oneBlock && g.N * g.P <= 2 * positions) groupImages = std::max(groupImages, g.N);
  const bool direct = parts == 1 && oneBlock && groupImages >= g.N;
  // The calling thread's scratch (its tasks use the other slots): a fresh 20 MB buffer per call would cost a
  // page fault per page. Each task zeroes its own rows; the sum below is split across the pool too.
  float* partial = direct ? nullptr : scratch(static_cast<size_t>(parts * partFloats), kPhaseSlot);
  // Images of several blocks, one at a time, pack dy^T a block and panel at a time, right before the tap tiles
  // sweep it, so the panel is written and read in L1: a whole image's panels (the 7x7 stem: 3.2 MB an image)
  // went out to L3 or memory and came back block by block.
  const bool blockPack = groupImages == 1 && !oneBlock;
  const int64_t slabFloats = Slab::floats(g, rows, g.Cg), btImage = blockPack ? rowsPerBlock * g.OW * kPanel : panels * g.P * kPanel;
  pool.run(parts * chunks, [&](int64_t t) {
    const int64_t part = t / chunks, chunk = t % chunks;
    const int64_t nb = g.N * part / parts, ne = g.N * (part + 1) / parts;
    const int64_t jb = jTiles * chunk / chunks, je = jTiles * (chunk + 1) / chunks;
    float* buffer = scratch(static_cast<size_t>(groupImages * slabFloats), kSlabSlot);
    float* bt = scratch(static_cast<size_t>(groupImages * btImage), kPanelSlot);
    // Every image and group fills the same slab layout: the tap pointers are made once per task (four
    // divisions per tap and image took an eighth of a 64-channel 8x8 layer's filter gradient).
    Slab slab(g, 0, rows, buffer);
    std::vector<const float*> base(static_cast<size_t>(kRows));
    for (int64_t j = 0; j < kRows; j++) {
      const int64_t jj = std::min(j, g.Kdim - 1);
      const int64_t c = jj / (g.KH * g.KW), kh = (jj / g.KW) % g.KH, kw = jj % g.KW;
      base[static_cast<size_t>(j)] = buffer + slab.tap(g, c, kh, kw);
    }
    for (int64_t grp = 0; grp < g.G && !direct; grp++) {
      float* rows0 = partial + part * partFloats + (grp * kRows + jb * MR) * accStride;
      std::memset(rows0, 0, static_cast<size_t>((je - jb) * MR * accStride) * sizeof(float));
    }
    for (int64_t n0 = nb; n0 < ne; n0 += groupImages) {
      const int64_t images = std::min(groupImages, ne - n0);
      for (int64_t grp = 0; grp < g.G; grp++) {
        for (int64_t i = 0; i < images; i++) {
          Slab(g, 0, rows, buffer + i * slabFloats).fill(g, x + (n0 + i) * g.C * g.H * g.W, grp * g.Cg, g.Cg);
          // dy^T panels: bt[image][panel][p][NV N], channels past Og zero.
          const float* dyg = dy + ((n0 + i) * g.O + grp * g.Og) * g.P;
          for (int64_t pn = 0; pn < panels && !blockPack; pn++)
            packDyPanel<NV>(dyg + pn * kPanel * g.P, g.P, g.P, std::min(kPanel, g.Og - pn * kPanel), bt + i * btImage + pn * g.P * kPanel);
        }
        const float* dyn = dy + (n0 * g.O + grp * g.Og) * g.P;
        float* acc = direct ? nullptr : partial + part * partFloats + grp * kRows * accStride;
        for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rowsPerBlock) {
          const int64_t oh1 = std::min(g.OH, oh0 + rowsPerBlock);
          // Panels outer: a panel of the block stays in L1 while the tap tiles sweep it, reading the slab
          // rows of their taps from L2.
          for (int64_t pn = 0; pn < panels; pn++) {
            const int64_t on = std::min(kPanel, g.Og - pn * kPanel);
            if (blockPack) packDyPanel<NV>(dyn + pn * kPanel * g.P + oh0 * g.OW, g.P, (oh1 - oh0) * g.OW, on, bt);
            const float* panel = blockPack ? bt : bt + pn * g.P * kPanel;
            for (int64_t jt = jb; jt < je; jt++) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, g.Kdim - jt * MR));
              const TileOut out = direct ? TileOut{nullptr, 0, dw + (grp * g.Og + pn * kPanel) * g.Kdim + jt * MR, g.Kdim, on}
                                         : TileOut{acc + jt * MR * accStride + pn * kPanel, accStride, nullptr, 0, 0};
              (mr < MR ? filterTileFor<NV>(mr) : filterTile<NV, MR>)(base.data() + jt * MR, images, slabFloats, oh0, oh1, g.OW, g.SH * slab.Wq, panel, btImage,
                                                           blockPack ? oh0 : 0, out, mr);
            }
          }
        }
      }
    }
  });
  if (direct) return;
  // dw[grp][o][j] = sum over parts of partial[part][grp][j][o]: blocks of 64 rows j claimed across the pool,
  // each row read along o (contiguous) for every part.
  const int64_t sumRows = g.G * g.Kdim, sumBlock = 64;
  pool.run((sumRows + sumBlock - 1) / sumBlock, [&](int64_t blk) {
    for (int64_t r = blk * sumBlock; r < std::min(sumRows, (blk + 1) * sumBlock); r++) {
      const int64_t grp = r / g.Kdim, j = r % g.Kdim;
      const float* src = partial + (grp * kRows + j) * accStride;
      float* dst = dw + grp * g.Og * g.Kdim + j;
      for (int64_t o = 0; o < g.Og; o++) {
        float sum = 0.f;
        for (int64_t part = 0; part < parts; part++) sum += src[part * partFloats + o];
        dst[o * g.Kdim] = sum;
      }
    }
  });
}

void tiledFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if constexpr (kOneVectorPanels) {
    if (filterPanelVectors(g.Og) == 1) {
      tiledFilterGradBy<1>(g, x, dy, dw, pool);
      return;
    }
  }
  tiledFilterGradBy<2>(g, x, dy, dw, pool);
}
