// ISA fragment (see README.md): F(4x4, 3x3) for constant filters at small batches of 7x7 outputs, the filter transformed
// as it is read. winograd-f4.inl keeps the transformed filter U (36 planes, 4x the raw filter's bytes: 37.7 MB for
// 512 -> 512) and streams all of it for each pass of one vector of tiles; ResNet-18's 7x7 layers at batch 2 hold 8
// tiles, so every multiply-add read 4 bytes of U from memory (L3 at best), and F(2x2, 3x3) (16.8 MB of U, 32 tiles)
// ran them faster. Here the raw filter (9.4 MB), packed in blocks of output channels (channels in the lanes), is read
// once per call: each block makes its 6x6 transforms G' g G'^T (integer rows, G = D G' with D the diagonal 1/4, -1/6,
// -1/6, 1/24, 1/24, 1, folded into the output transform) a chunk of input channels and a row of 6 at a time into L1,
// and every tile of the batch (broadcast from the compacted input transforms) goes through them with output channels
// in the lanes, so no lane idles however few the tiles. The transforms cost about a sixth of the multiply-adds.

/** Pieces a vector of the input transform (f4Rows: 4 on 8 lanes, 8 on 16) where an image is 2 x 2 tiles (5-8 output rows and columns). */
int f4FusedRows(const ConvGeom& g) { return f4TilesH(g) == 2 && f4TilesW(g) == 2 ? f4Rows(2) : 0; }

/**
 * Output-channel vectors and tiles of the GEMM tile (kFusedTileOV x kFusedTileTT accumulators): 2 x 8 on 16 lanes (16 of
 * 32 registers), 3 x 4 on 8 (12 of 16). Zen 5, 2x512x7x7 -> 512, isa-check --bench-only const column, 1 thread, CPU
 * time, load 9-15, 2 rounds, direct-equivalent GFLOP/s: avx2 1 x 8 155-173, 2 x 4 189-194, 3 x 4 194-202; avx512 2 x 8
 * 254-302, 3 x 8 245-296, 1 x 8 255-283 (all three before the row-by-row transform, which took 2 x 8 to 300-334).
 */
constexpr int kFusedTileOV = S::N >= 16 ? 2 : 3;
constexpr int kFusedTileTT = S::N >= 16 ? 8 : 4;

/** Total tiles of the batch. */
int64_t f4FusedTiles(const ConvGeom& g) { return g.N * f4TilesH(g) * f4TilesW(g); }

/**
 * Whether the fused path runs: a constant filter of 1 MiB or more (F(4x4, 3x3) takes its geometry) on 8 lanes, or 16
 * where 512-bit operations run at full width (f4FullWidth); images of 2 x 2 tiles (7x7 outputs); one to two GEMM tiles
 * of tiles a batch (4-8 on 8 lanes, 8-16 on 16). Zen 5, isa-check --bench-only const column, 1 thread, CPU time, 3
 * interleaved rounds at load 12-15 (the same binary with this rule off, then on), direct-equivalent GFLOP/s:
 * avx2 1x512x7x7 -> 512 (F(2x2, 3x3)) 112-144 -> 150-156, 2x512 (F(2x2, 3x3)) 128-136 -> 192-193, 2x256x7x7 -> 256
 * 138-157 -> 185-189; 4x512 (F(4x4, 3x3), 16 tiles) kept: 216-221 against 209-215 here. avx512 2x512 (16-lane
 * F(2x2, 3x3)) 255-273 -> 289-305, 4x512 (16-lane F(2x2, 3x3)) 218-221 -> 341-349, 2x256x7x7 241-254 -> 260-274;
 * 1x512 (4 tiles, half a GEMM tile) kept: 220-237 against 154-160 here. At 32 tiles F(4x4, 3x3) is as fast or faster
 * (8x512x7x7 avx2 215-218 against 214-222, avx512 359-377 against 353-366; 2x256x14x14 avx2 279-282 against 197-206,
 * avx512 441-459 against 338-341).
 */
bool f4FusedFits(const ConvGeom& g, bool constantFilter) {
  // 7 and 8 output columns: the 5 and 6 that winogradFits takes on 8 lanes were not measured here.
  if (!(S::N == 8 || f4FullWidth()) || !constantFilter || !winogradFits(g, true) || g.OW < 7 || f4FusedRows(g) == 0) return false;
  const int64_t tiles = f4FusedTiles(g);
  return tiles >= kFusedTileTT && tiles <= 2 * kFusedTileTT && g.C * g.O * 9 * 4 >= (int64_t{1} << 20);
}

/** Blocks of OB output channels. */
int64_t f4FusedBlocks(const ConvGeom& g, int64_t OB) { return (g.O + OB - 1) / OB; }

/** The packed raw filter: W[block][c][tap][OB] (channels past O zero). */
template <int64_t OB>
void f4FusedPack(const ConvGeom& g, const float* w, ThreadPool& pool, float* out) {
  const int64_t blocks = f4FusedBlocks(g, OB);
  pool.run(blocks, [&](int64_t b) {
    float* dst = out + b * g.C * 9 * OB;
    for (int64_t i = 0; i < OB; i++) {
      const int64_t o = b * OB + i;
      for (int64_t c = 0; c < g.C; c++)
        for (int t = 0; t < 9; t++) dst[(c * 9 + t) * OB + i] = o < g.O ? w[(o * g.C + c) * 9 + t] : 0.f;
    }
  });
}

/** G' k for one column (or row) of 3 vectors: rows [1 0 0], [1 1 1], [1 -1 1], [1 2 4], [1 -2 4], [0 0 1]. */
SN_INLINE void f4FusedFilterLine(S::V k0, S::V k1, S::V k2, S::V* t) {
  const S::V s = S::add(k0, k2), w = S::fma(S::set1(4.f), k2, k0), h = S::add(k1, k1);
  t[0] = k0;
  t[1] = S::add(s, k1);
  t[2] = S::sub(s, k1);
  t[3] = S::add(w, h);
  t[4] = S::sub(w, h);
  t[5] = k2;
}

/** Row I of G' applied to the filter rows k0, k1, k2 (one column). */
template <int I>
SN_INLINE S::V f4FusedColumn(S::V k0, S::V k1, S::V k2) {
  if constexpr (I == 0) return k0;
  if constexpr (I == 1) return S::add(S::add(k0, k2), k1);
  if constexpr (I == 2) return S::sub(S::add(k0, k2), k1);
  if constexpr (I == 3) return S::fma(S::set1(2.f), k1, S::fma(S::set1(4.f), k2, k0));
  if constexpr (I == 4) return S::fma(S::set1(-2.f), k1, S::fma(S::set1(4.f), k2, k0));
  return k2;
}

/**
 * U'[j][c][OB] = (G' g G'^T)[6 I + j] for cn channels of the packed raw filter w (at the chunk's first channel), planes
 * us floats apart: row I of G' g, then G' across it.
 */
template <int OV, int I>
void f4FusedRowDirect(const float* w, int64_t cn, float* u, int64_t us) {
  constexpr int64_t OB = OV * S::N;
  for (int64_t c = 0; c < cn; c++)
    for (int v = 0; v < OV; v++) {
      const float* k = w + c * 9 * OB + v * S::N;
      S::V t[3];
#pragma GCC unroll 3
      for (int j = 0; j < 3; j++) t[j] = f4FusedColumn<I>(S::load(k + j * OB), S::load(k + (3 + j) * OB), S::load(k + (6 + j) * OB));
      S::V r[6];
      f4FusedFilterLine(t[0], t[1], t[2], r);
#pragma GCC unroll 6
      for (int j = 0; j < 6; j++) S::store(u + j * us + c * OB + v * S::N, r[j]);
    }
}

template <int OV>
void f4FusedRowOf(int i, const float* w, int64_t cn, float* u, int64_t us) {
  switch (i) {
    case 0: f4FusedRowDirect<OV, 0>(w, cn, u, us); break;
    case 1: f4FusedRowDirect<OV, 1>(w, cn, u, us); break;
    case 2: f4FusedRowDirect<OV, 2>(w, cn, u, us); break;
    case 3: f4FusedRowDirect<OV, 3>(w, cn, u, us); break;
    case 4: f4FusedRowDirect<OV, 4>(w, cn, u, us); break;
    default: f4FusedRowDirect<OV, 5>(w, cn, u, us); break;
  }
}

/**
 * M[t][OB] (+)= sum_c U'[c][OB] V[c][t] for TT tiles: u at (xi, c0), OB floats a channel; v at (xi, c0, first tile),
 * tp floats a channel; m at (xi, first tile), OB floats a tile. first: start from zero.
 */
template <int OV, int TT>
void f4FusedGemm(int64_t cn, const float* u, const float* v, int64_t tp, float* m, bool first) {
  constexpr int64_t OB = OV * S::N;
  S::V acc[TT][OV];
#pragma GCC unroll 8
  for (int t = 0; t < TT; t++)
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) acc[t][j] = first ? S::zero() : S::load(m + t * OB + j * S::N);
  for (int64_t c = 0; c < cn; c++) {
    S::V a[OV];
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) a[j] = S::load(u + j * S::N);
#pragma GCC unroll 8
    for (int t = 0; t < TT; t++) {
      const S::V b = S::set1(v[t]);
#pragma GCC unroll 4
      for (int j = 0; j < OV; j++) acc[t][j] = S::fma(a[j], b, acc[t][j]);
    }
    u += OB;
    v += tp;
  }
#pragma GCC unroll 8
  for (int t = 0; t < TT; t++)
#pragma GCC unroll 4
    for (int j = 0; j < OV; j++) S::store(m + t * OB + j * S::N, acc[t][j]);
}

/** y = A^T D m for one column (or row) of 6 vectors (D as in the file comment: U' lacks it). */
SN_INLINE void f4FusedOutputLine(const S::V* m, S::V* y) {
  const S::V p = S::add(m[1], m[2]), q = S::sub(m[1], m[2]), r = S::add(m[3], m[4]), s = S::sub(m[3], m[4]);
  const S::V m6 = S::set1(-1.f / 6.f);
  y[0] = S::fma(S::set1(0.25f), m[0], S::fma(m6, p, S::mul(S::set1(1.f / 24.f), r)));
  y[1] = S::fma(m6, q, S::mul(S::set1(1.f / 12.f), s));
  y[2] = S::mul(S::set1(1.f / 6.f), S::sub(r, p));
  y[3] = S::fma(m6, q, S::fma(S::set1(1.f / 3.f), s, m[5]));
}

/** A tile of the batch: its image, tile row and tile column. */
struct F4Tile {
  int64_t n, ty, tx;
};

/** The tiles of vector `vec` of the input transform, lane by lane (n -1 past the batch); returns the used lanes (a prefix). */
int f4FusedVectorTiles(const ConvGeom& g, int64_t vec, F4Tile* lanes) {
  constexpr int64_t N = S::N, perImage = 4, perVector = N / perImage;
  int used = 0;
  for (int64_t l = 0; l < N; l++) {
    const int64_t n = vec * perVector + l / perImage;
    lanes[l] = n < g.N ? F4Tile{n, (l % perImage) / 2, l % 2} : F4Tile{-1, 0, 0};
    if (n < g.N) used = static_cast<int>(l) + 1;
  }
  return used;
}

/**
 * Output transform of one tile for the block's output channels [o0, o1): M'[xi][OB] (planes xs floats apart), bias,
 * residual (of y's layout, or null), relu. The results hold output channels in the lanes; each group of 4 lanes is
 * transposed (zip4) so that lane group g of q[k] is one output row of channel 4 g + k, stored by a 4-lane masked store.
 */
void f4FusedOutput(const ConvGeom& g, const float* M, int64_t xs, const F4Tile& tile, int64_t o0, int64_t o1, const float* bias, const float* res,
                   bool relu, float* y) {
  const int64_t rows = std::min<int64_t>(4, g.OH - 4 * tile.ty), cols = std::min<int64_t>(4, g.OW - 4 * tile.tx);
  const S::V zero = S::zero();
  for (int v = 0; v * S::N < o1 - o0; v++) {
    S::V s[4][6];
#pragma GCC unroll 6
    for (int j = 0; j < 6; j++) {
      S::V m[6], r[4];
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) m[i] = S::load(M + (6 * i + j) * xs + v * S::N);
      f4FusedOutputLine(m, r);
#pragma GCC unroll 4
      for (int a = 0; a < 4; a++) s[a][j] = r[a];
    }
    const int64_t ob = o0 + v * S::N, on = std::min<int64_t>(S::N, o1 - ob);
    const S::V b = bias ? loadLanes(bias + ob, laneBits(0, on)) : zero;
    // Output channel ob + l's tile: at + l * P.
    const int64_t at = ((tile.n * g.O + ob) * g.OH + 4 * tile.ty) * g.OW + 4 * tile.tx;
    for (int64_t a = 0; a < rows; a++) {
      S::V r[4];
      f4FusedOutputLine(s[a], r);
      for (int j = 0; j < 4; j++) r[j] = S::add(r[j], b);
      const S::V e0 = S::zip4Lo(r[0], r[2]), e1 = S::zip4Lo(r[1], r[3]), f0 = S::zip4Hi(r[0], r[2]), f1 = S::zip4Hi(r[1], r[3]);
      const S::V q[4] = {S::zip4Lo(e0, e1), S::zip4Hi(e0, e1), S::zip4Lo(f0, f1), S::zip4Hi(f0, f1)};
      for (int64_t grp = 0; 4 * grp < on; grp++) {
        const uint32_t bits = laneBits(4 * grp, 4 * grp + cols);
        for (int64_t k = 0; k < 4 && 4 * grp + k < on; k++) {
          // Lanes 4 grp .. 4 grp + cols - 1 of q[k] land at columns 0 .. cols - 1 of the row.
          const int64_t off = at + (4 * grp + k) * g.P + a * g.OW - 4 * grp;
          S::V o = q[k];
          if (res) o = S::add(o, loadLanes(res + off, bits));
          if (relu) o = S::max(zero, o);
          storeLanes(y + off, bits, o);
        }
      }
    }
  }
}

template <int OV, int TT>
void f4FusedRun(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                ThreadPool& pool) {
  constexpr int64_t N = S::N, OB = OV * S::N, perVector = N / 4;
  constexpr int R = N / 2;
  const int64_t blocks = f4FusedBlocks(g, OB);
  const FilterCache::Packed wp = w.packed(layoutKey({14, g.O, g.C, OB}), static_cast<size_t>(blocks * OB * g.C * 9),
                                          [&](const float* raw, float* out) { f4FusedPack<OB>(g, raw, pool, out); }, false);
  // The batch's tiles in order (vector by vector, each vector's used lanes), padded to whole GEMM tiles.
  const int64_t vectors = (g.N + perVector - 1) / perVector;
  std::vector<F4Tile> tiles;
  std::vector<int64_t> first(static_cast<size_t>(vectors)), used(static_cast<size_t>(vectors));
  for (int64_t vec = 0; vec < vectors; vec++) {
    F4Tile lanes[S::N];
    used[vec] = f4FusedVectorTiles(g, vec, lanes);
    first[vec] = static_cast<int64_t>(tiles.size());
    tiles.insert(tiles.end(), lanes, lanes + used[vec]);
  }
  const int64_t T = static_cast<int64_t>(tiles.size()), tp = (T + TT - 1) / TT * TT;
  // V[xi][c][tp]: the input transforms, compacted (pad tiles zero), in the caller's scratch: every block task reads it.
  float* V = scratch(static_cast<size_t>(36 * g.C * tp), kSharedSlot);
  // Tasks (vector, channel chunk): the vector's images' slabs side by side (as f4RunImages), f4Input, the used lanes copied.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(g.C / 16, (4 * pool.size() + vectors - 1) / vectors));
  const ConvGeom sg = f4SlabGeom(g);
  const int64_t rows = 4 * 2 + 2;
  pool.run(vectors * chunks, [&](int64_t task) {
    const int64_t vec = task / chunks, ch = task % chunks;
    const int64_t c0 = g.C * ch / chunks, c1 = g.C * (ch + 1) / chunks, cn = c1 - c0;
    ConvGeom cg = g;
    cg.C = cn;
    const int64_t n0 = vec * perVector, n1 = std::min(g.N, n0 + perVector);
    const int64_t slabFloats = Slab::floats(sg, rows, cn);
    float* buffer = scratch(static_cast<size_t>((n1 - n0) * slabFloats), kSlabSlot);
    for (int64_t n = n0; n < n1; n++) {
      Slab slab(sg, 0, rows, buffer + (n - n0) * slabFloats);
      f4Fill(cg, slab, x + (n * g.C + c0) * g.H * g.W, 0, rows);
    }
    const Slab slab(sg, 0, rows, buffer);
    float* tmp = scratch(static_cast<size_t>(36 * cn * N), kPanelSlot);
    int64_t at[1][kF4Pieces] = {};
    uint32_t bits[1][kF4Pieces] = {};
    for (int r = 0; r < R; r++) {
      // Piece r: tile row r % 2 of the vector's image r / 2, lanes 2 r, 2 r + 1.
      const int64_t image = r / 2, ty = r % 2, lane0 = 2 * r;
      const bool live = n0 + image < n1;
      at[0][r] = live ? image * slabFloats + 4 * ty * slab.Wq - lane0 : 0;
      bits[0][r] = live ? laneBits(lane0, lane0 + 2) : 0u;
    }
    f4Input<R, 1>(slab, cn, at, bits, tmp, cn * N);
    const int64_t k0 = first[vec], un = used[vec];
    const bool last = vec == vectors - 1;
    for (int xi = 0; xi < 36; xi++)
      for (int64_t c = 0; c < cn; c++) {
        float* dst = V + (xi * g.C + c0 + c) * tp;
        std::memcpy(dst + k0, tmp + (xi * cn + c) * N, static_cast<size_t>(un) * sizeof(float));
        if (last)
          for (int64_t k = k0 + un; k < tp; k++) dst[k] = 0.f;
      }
  });
  // Tasks over blocks of output channels: each makes its block's transformed filter a chunk of input channels at a
  // time and runs every tile through it, then the block's output transforms.
  const float* W = wp->data();
  pool.run(blocks, [&](int64_t b) {
    // Per chunk of cc input channels (512 / OB: the chunk's raw filter, 18 KiB, stays in L1), row by row: the row's 6
    // transformed filters (U, 6 cc OB floats: 12 KiB, L1) from the raw ones, then the row's 6 GEMMs. Transforming all 36
    // into L2 first (64 channels a chunk), or the column transforms of 32 channels into L2 and then the rows from them,
    // ran 2x512x7x7 -> 512 on the avx512 path at 250-300 direct-equivalent GFLOP/s against 300-335 here (Zen 5, isa-check
    // const column, 1 thread, CPU time, load 9-15): every transformed vector serves only the batch's 8 tiles.
    const int64_t cc = std::min(g.C, std::max<int64_t>(8, 512 / OB)), us = f4PlaneStride(cc * OB);
    float* U = scratch(static_cast<size_t>(6 * us + 36 * tp * OB), kPanelSlot);
    float* M = U + 6 * us;
    const float* Wb = W + b * g.C * 9 * OB;
    for (int64_t c0 = 0; c0 < g.C; c0 += cc) {
      const int64_t c1 = std::min(g.C, c0 + cc), cn = c1 - c0;
      // The next chunk's raw filter (or the next block's first), fetched a 36th at a time, after each element's GEMMs,
      // while this chunk's GEMMs run (without: 2x512x7x7 -> 512 on avx512 about 10% slower, Zen 5). A sixth at a time (after
      // each row) put a tenth of the layer's samples on the prefetches on Emerald Rapids (48 lines issued at once, each
      // from L3, wait for fill buffers): isa-check --bench-only "2x512x7x7 * 512" --columns const --epilogue --cpu-time
      // --threads 1, the same binary with the sixths, none and 36ths, 2-3 interleaved rounds at load 4-5, direct-equivalent
      // GFLOP/s: avx2 189-191 / 195-197 / 205-207, avx512 (16 lanes) 303-313 / - / 337-341. Per GEMM call (72ths at 8
      // tiles) 199, and fetching 2 or 3 chunks ahead 206 and 204-206.
      const float* next = c1 < g.C ? Wb + c1 * 9 * OB : b + 1 < blocks ? W + (b + 1) * g.C * 9 * OB : nullptr;
      const int64_t nextFloats = next ? std::min(cc, c1 < g.C ? g.C - c1 : g.C) * 9 * OB : 0, step = (nextFloats / 36 + 15) / 16 * 16;
      for (int i = 0; i < 6; i++) {
        f4FusedRowOf<OV>(i, Wb + c0 * 9 * OB, cn, U, us);
        for (int j = 0; j < 6; j++) {
          const int xi = 6 * i + j;
          for (int64_t t0 = 0; t0 < tp; t0 += TT)
            f4FusedGemm<OV, TT>(cn, U + j * us, V + (xi * g.C + c0) * tp + t0, tp, M + (xi * tp + t0) * OB, c0 == 0);
          for (int64_t q = xi * step; q < std::min(nextFloats, (xi + 1) * step); q += 16) SN_PREFETCH(next + q);
        }
      }
    }
    const int64_t o0 = b * OB, o1 = std::min(g.O, o0 + OB);
    for (int64_t k = 0; k < T; k++) f4FusedOutput(g, M + k * OB, tp * OB, tiles[k], o0, o1, bias, residual, relu, y);
  });
}

/** The fused forward (f4FusedFits) with this path's GEMM tile. */
void f4FusedForward(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                    ThreadPool& pool) {
  f4FusedRun<kFusedTileOV, kFusedTileTT>(g, x, w, bias, residual, relu, y, pool);
}
