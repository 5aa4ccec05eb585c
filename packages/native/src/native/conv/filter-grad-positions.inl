// ISA fragment (see README.md): the filter gradient of layers with few taps (3-channel first layers: 27)
// with output positions in the lanes. dW[o][j] = sum over positions p of dy[o][p] x[j][p]: a tile of
// kPosMO output channels x kPosMJ taps keeps one vector of partial sums per pair, multiplying N positions
// of dy (straight from its planes) by the N inputs under them (a slab row), and the lanes are added up
// once at the end. The tap-tile kernel (filter-grad.inl) instead packs dy^T once per image, a transpose
// that costs as much as a few taps' multiply-adds: with 27 taps it took about a fifth of the time.

// 4 x 3: 16-, 32- and 96-channel layers and 27 taps fill whole tiles (3 x 4 padded 16 channels to 18 and
// 27 taps to 28; on AVX2 32x3x32x32 -> 16 ran 63 -> 68-71 GFLOP/s with the row loop below unchanged).
constexpr int kPosMO = 4, kPosMJ = 3;
// One input channel (LeNet's C1: 6 channels, 25 taps): 2 x 5 on 16 registers, 3 x 5 on 32, whole tiles.
constexpr int kPos1MO = S::kMaxMR >= 12 ? 3 : 2, kPos1MJ = 5;

/**
 * One to four input channels whose taps stay within kSingleMaxTaps (one channel: 2 to 7 output channels, or
 * fewer taps than a tap tile), stride and dilation 1, no groups, rows of a vector and more. Measured on AVX2 (Zen 2, 1 thread, CPU
 * time, 4 interleaved rounds, medians, load ~8): 32x3x32x32 -> 16 3x3 45 -> 54 GFLOP/s, -> 96 40 -> 57 (dy
 * streams from memory there; without the prefetch of the next tile's planes 45). One-channel layers took the
 * depthwise kernel's register blocks, each of which swept every image (LeNet C1 at batch 256: 6 MB of dy
 * and slabs read from L3 once per block); here each image's planes stay in L1 while all tiles use them.
 */
bool positionsFilterGradFits(const ConvGeom& g) {
  const bool oneChannel = g.C == 1 && g.Og >= 2 && !(g.Og >= 8 && g.Kdim >= kFilterMR);  // those the tap-tile kernel does not take
  return g.C <= 4 && (g.C >= 2 || oneChannel) && g.G == 1 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.OW >= S::N &&
         g.Kdim <= kSingleMaxTaps;
}

/** acc[o][j] (vectors, j-stride N floats, o-stride accRow) into c, and back. */
template <int MO, int MJ>
SN_INLINE void positionsAcc(S::V (&c)[MO][MJ], float* acc, int64_t accRow, bool store) {
#pragma GCC unroll 8
  for (int o = 0; o < MO; o++)
#pragma GCC unroll 8
    for (int j = 0; j < MJ; j++) {
      if (store) {
        S::store(acc + o * accRow + j * S::N, c[o][j]);
      } else {
        c[o][j] = S::load(acc + o * accRow + j * S::N);
      }
    }
}

/**
 * acc[o][j] += sum over output rows [oh0, oh1) and their whole vectors of columns of dy plane d[o] times tap
 * j's slab inputs x[j] (a row's last OW % N columns: positionsTail). VF: whole vectors per row when known
 * at compile time (then the row is straight-line code), else 0.
 */
template <int MO, int MJ, int VF>
void positionsTile(const float* const* x, const float* const* d, int64_t oh0, int64_t oh1, int64_t OW, int64_t Wq, float* acc, int64_t accRow,
                   const float* next) {
  using V = S::V;
  constexpr int64_t N = S::N;
  const int64_t full = VF ? VF * N : OW / N * N;
  V c[MO][MJ];
  positionsAcc<MO, MJ>(c, acc, accRow, false);
  for (int64_t oh = oh0; oh < oh1; oh++) {
    const int64_t xr = oh * Wq, dr = oh * OW;
    // One dy plane of the next output-channel tile, one row per row here: each tap tile fetches another
    // plane (a plane is one or a few pages, too short for the hardware prefetchers, and the first tap tile
    // would otherwise wait for all of them).
    if (next) {
#pragma GCC unroll 8
      for (int64_t q = 0; q < full; q += 64 / sizeof(float)) SN_PREFETCH(next + dr + q);
      if (OW > full) SN_PREFETCH(next + dr + OW - 1);
    }
#pragma GCC unroll 8
    for (int64_t ow = 0; ow < full; ow += N) {
      // The operands of the shorter side held: MO x MJ accumulators + min(MO, MJ) + 1 registers.
      if constexpr (MJ < MO) {
        V xv[MJ];
#pragma GCC unroll 8
        for (int j = 0; j < MJ; j++) xv[j] = S::load(x[j] + xr + ow);
#pragma GCC unroll 8
        for (int o = 0; o < MO; o++) {
          const V dv = S::load(d[o] + dr + ow);
#pragma GCC unroll 8
          for (int j = 0; j < MJ; j++) c[o][j] = S::fma(dv, xv[j], c[o][j]);
        }
      } else {
        V dv[MO];
#pragma GCC unroll 8
        for (int o = 0; o < MO; o++) dv[o] = S::load(d[o] + dr + ow);
#pragma GCC unroll 8
        for (int j = 0; j < MJ; j++) {
          const V xv = S::load(x[j] + xr + ow);
#pragma GCC unroll 8
          for (int o = 0; o < MO; o++) c[o][j] = S::fma(dv[o], xv, c[o][j]);
        }
      }
    }
  }
  positionsAcc<MO, MJ>(c, acc, accRow, true);
}

/**
 * positionsTile's last OW % N columns of each row (lanes `tail` of the vector at column OW / N * N), a
 * pass of its own: with the masked step in positionsTile's row loop its mask held a register and 4 x 3
 * tiles spilled on AVX2 (32x3x32x32 -> 96: 60 instead of 83 GFLOP/s).
 */
template <int MO, int MJ>
void positionsTail(const float* const* x, const float* const* d, int64_t oh0, int64_t oh1, int64_t OW, int64_t Wq, uint32_t tail, float* acc,
                   int64_t accRow) {
  using V = S::V;
  const int64_t at = OW / S::N * S::N;
  const S::M m = S::mask(tail);
  V c[MO][MJ];
  positionsAcc<MO, MJ>(c, acc, accRow, false);
  for (int64_t oh = oh0; oh < oh1; oh++) {
    // Both operands masked: lanes past the row (the next row's inputs, which may not be finite) add 0 x 0.
    V dv[MO];
#pragma GCC unroll 8
    for (int o = 0; o < MO; o++) dv[o] = S::maskLoad(m, d[o] + oh * OW + at);
#pragma GCC unroll 8
    for (int j = 0; j < MJ; j++) {
      const V xv = S::maskLoad(m, x[j] + oh * Wq + at);
#pragma GCC unroll 8
      for (int o = 0; o < MO; o++) c[o][j] = S::fma(dv[o], xv, c[o][j]);
    }
  }
  positionsAcc<MO, MJ>(c, acc, accRow, true);
}

using PositionsTileFn = void (*)(const float* const*, const float* const*, int64_t, int64_t, int64_t, int64_t, float*, int64_t, const float*);

/**
 * The tile for rows of `vectors` whole vectors: rows of up to 8 as straight-line code, longer ones as a
 * loop. On AVX2 (Zen 2, 1 thread, CPU time, 3 interleaved rounds) a loop over a 32-column row's 4 vectors
 * (and one over its 2 prefetches) ran 32x3x32x32 -> 16 and -> 96 at 68-72 and 62-73 GFLOP/s, straight-line
 * at 83 and 80-83.
 */
template <int MO, int MJ>
PositionsTileFn positionsTileFor(int64_t vectors) {
  switch (vectors) {
    case 1:
      return positionsTile<MO, MJ, 1>;
    case 2:
      return positionsTile<MO, MJ, 2>;
    case 3:
      return positionsTile<MO, MJ, 3>;
    case 4:
      return positionsTile<MO, MJ, 4>;
    case 7:
      return positionsTile<MO, MJ, 7>;
    case 8:
      return positionsTile<MO, MJ, 8>;
    default:
      return positionsTile<MO, MJ, 0>;
  }
}

/**
 * Images split into `parts` runs (one per thread at most, each summing into its own vector partials, added
 * in part order afterwards), and each run's output-channel tiles into chunks when there are fewer images
 * than threads. Results depend on the thread count only.
 */
template <int MO, int MJ>
void positionsFilterGradWith(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  constexpr int64_t N = S::N;
  const int threads = pool.size();
  const int64_t oTiles = (g.Og + MO - 1) / MO, jTiles = (g.Kdim + MJ - 1) / MJ;
  const int64_t accRow = jTiles * MJ * N, partFloats = oTiles * MO * accRow;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, g.N));
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(oTiles, (threads + parts - 1) / parts));
  const int64_t rows = g.OH + g.KH - 1;
  const int64_t slabFloats = Slab::floats(g, rows, g.C);
  // Output rows per block: about 1024 positions, so that a tile's dy rows and slab rows stay in L1 while
  // every tap tile of the output-channel tile reads them.
  const int64_t rowsPerBlock = std::max<int64_t>(1, std::min<int64_t>(g.OH, 1024 / g.OW));
  const uint32_t tail = laneBits(0, g.OW % N);
  float* partial = scratch(static_cast<size_t>(parts * partFloats), kPhaseSlot);
  const PositionsTileFn tile = positionsTileFor<MO, MJ>(g.OW / N);
  pool.run(parts * chunks, [&](int64_t t) {
    const int64_t part = t / chunks, chunk = t % chunks;
    const int64_t nb = g.N * part / parts, ne = g.N * (part + 1) / parts;
    const int64_t ob = oTiles * chunk / chunks, oe = oTiles * (chunk + 1) / chunks;
    float* acc = partial + part * partFloats;
    std::memset(acc + ob * MO * accRow, 0, static_cast<size_t>((oe - ob) * MO * accRow) * sizeof(float));
    float* buffer = scratch(static_cast<size_t>(slabFloats), kSlabSlot);
    Slab slab(g, 0, rows, buffer);
    // Tap pointers (padded taps repeat the last one; their sums are never read).
    const float* taps[kSingleMaxTaps + MJ];
    for (int64_t j = 0; j < jTiles * MJ; j++) {
      const int64_t jj = std::min(j, g.Kdim - 1);
      taps[j] = buffer + slab.tap(g, jj / (g.KH * g.KW), (jj / g.KW) % g.KH, jj % g.KW);
    }
    for (int64_t n = nb; n < ne; n++) {
      slab.fill(g, x + n * g.C * g.H * g.W, 0, g.C);
      const float* dyn = dy + n * g.O * g.P;
      for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rowsPerBlock) {
        const int64_t oh1 = std::min(g.OH, oh0 + rowsPerBlock);
        for (int64_t ot = ob; ot < oe; ot++) {
          const float* planes[MO];
          for (int o = 0; o < MO; o++) planes[o] = dyn + std::min(ot * MO + o, g.Og - 1) * g.P;
          for (int64_t jt = 0; jt < jTiles; jt++) {
            float* a = acc + ot * MO * accRow + jt * MJ * N;
            tile(taps + jt * MJ, planes, oh0, oh1, g.OW, slab.Wq, a, accRow, ot + 1 < oe ? dyn + std::min((ot + 1) * MO + jt % MO, g.Og - 1) * g.P : nullptr);
            if (tail) positionsTail<MO, MJ>(taps + jt * MJ, planes, oh0, oh1, g.OW, slab.Wq, tail, a, accRow);
          }
        }
      }
    }
  });
  pool.run(oTiles, [&](int64_t ot) {
    for (int64_t o = ot * MO; o < std::min(g.Og, (ot + 1) * MO); o++)
      for (int64_t j = 0; j < g.Kdim; j++) {
        float sum = 0.f;
        for (int64_t part = 0; part < parts; part++) sum += S::reduceAdd(S::load(partial + part * partFloats + o * accRow + j * N));
        dw[o * g.Kdim + j] = sum;
      }
  });
}

/**
 * 16 lanes, rows of whole vectors: 8 x 3 tiles (24 sums, 3 slab vectors held, one dy vector at a time: 11 loads
 * per 24 multiply-adds where 4 x 3 loads 7 per 12). The avx512 path runs 2-4 channels here only on full-width
 * AVX-512 (positionsByEightLanes), where Zen 5 (isa-check --bench-only 32x3x32x32 --cpu-time, 1 thread, 8
 * interleaved rounds against the 8-lane hand-off, STRIDENET_AVX512_FULL_WIDTH=0 against 1, load 12-13) ran
 * 32x3x32x32 -> 16 at 93.5-104 GFLOP/s (median 100) on 8 lanes against 113-119 (116), -> 96 87.7-101 (92.9)
 * against 92.1-110 (98.1); with 4 x 3 tiles 16 lanes ran 89-100 (92) and 76-89 (83). Rows with a masked tail keep
 * 4 x 3 (positionsTail holds every dy vector of the tile: 8 x 3 would spill).
 */
constexpr bool kPosWideTiles = S::N == 16;

void positionsFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if (g.C == 1) {
    positionsFilterGradWith<kPos1MO, kPos1MJ>(g, x, dy, dw, pool);
  } else if (kPosWideTiles && g.OW % S::N == 0) {
    positionsFilterGradWith<2 * kPosMO, kPosMJ>(g, x, dy, dw, pool);
  } else {
    positionsFilterGradWith<kPosMO, kPosMJ>(g, x, dy, dw, pool);
  }
}
