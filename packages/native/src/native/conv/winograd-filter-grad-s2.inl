// ISA fragment (see README.md): the filter gradient of 3x3 stride-2 layers by polyphase Winograd.
// Along one dimension, over a block of 2 dy values h0, h1 (outputs 2t, 2t + 1) and the 5 padded inputs
// p0 .. p4 under them (from input 4t; blocks overlap by one input), tap k's share is h0 p[k] + h1 p[k + 2]:
// taps 0 and 2 are a 2-tap correlation of the even inputs (p0, p2, p4), done as Winograd F(2, 2) with
// 3 products (p0 - p2) h0, p2 (h0 + h1), (p4 - p2) h1, and tap 1 takes the odd inputs' 2 products p1 h0,
// p3 h1. So per dimension 5 products, not 6: inputs transform to (p0 - p2, p2, p4 - p2, p1, p3), dy to
// (h0, h0 + h1, h1, h0, h1), and taps 0, 1, 2 are m0 + m1, m3 + m4, m1 + m2. Over a 2x2 block of dy (a tile)
// the 36 multiply-adds per channel pair become 25, one GEMM per transformed element xi (5 x 5) over every
// tile of every image, M[xi] (C x O) += V[xi] (C x tiles) H[xi] (tiles x O), and one inverse at the end.
// The transforms only add and subtract, so the error stays the direct kernel's.
//
// dy's elements 3 and 4 repeat 0 and 2, so only its 3 x 3 distinct ones are stored and the GEMMs of the
// others read those.
//
// Tiles of a block are numbered row after row over its images; the input transform runs along a tile row a
// vector of tiles at a time (full-vector stores; the next row overwrites a row's last lanes) from a slab
// band of one channel (L1-sized: a whole image's slab, 1 MB at 64 x 56 x 56, went out of L2 between its
// fill and its transform), V[xi][c][tile] with channel rows kS2FilterRow apart; dy is transformed from dy^T
// panels as the stride-1 kernel's (H[3 x 3][panel][tile][NV N]); the GEMM is winograd-filter-grad.inl's.

/** Transformed elements of a tile: 5 x 5. */
constexpr int kS2FilterElems = 25;

/**
 * Most tiles a block holds, and the floats between V's channel rows (the GEMM's constant row stride: the last
 * vector store of a tile row reaches N - 1 lanes past the block).
 */
constexpr int64_t kS2FilterCap = std::max(8 * S::N, 64);
constexpr int64_t kS2FilterRow = kS2FilterCap + S::N;

/** Bytes of one block's transformed inputs and dy (a tile of a 64 -> 128 layer's: 25 x 64 + 9 x 128 floats). */
constexpr int64_t kS2FilterBlockBytes = int64_t{5} << 19;

/**
 * Tile rows per block: at most the cap's and the byte budget's, and of those the count whose tiles leave the
 * fewest empty lanes in the block's last vector (the last lanes multiply zeros): 14-tile rows in 8 rows on
 * 16 lanes, 4 on 8.
 */
int64_t s2FilterBlockRows(int64_t TW, int64_t tileFloats) {
  const int64_t most = std::max<int64_t>(1, std::min(kS2FilterCap / TW, kS2FilterBlockBytes / (4 * tileFloats * TW)));
  int64_t best = most;
  double bestWaste = 1.0;
  for (int64_t r = most; r >= 1; r--) {
    const int64_t tiles = r * TW, padded = (tiles + S::N - 1) / S::N * S::N;
    const double waste = static_cast<double>(padded - tiles) / static_cast<double>(padded);
    if (waste < bestWaste - 0.01) {
      best = r;
      bestWaste = waste;
    }
  }
  return best;
}

/**
 * Images per part when the pool splits images (each part sums into its own M): as many parts as threads
 * while each keeps 192 tiles or more, else one part (threads split channel tiles). Every M element is zeroed,
 * stored and added up once per part, against a GEMM of one multiply-add per tile of the part.
 */
int64_t s2FilterParts(const ConvGeom& g, int threads) {
  const int64_t tiles = g.N * ((g.OH + 1) / 2) * ((g.OW + 1) / 2), parts = std::min<int64_t>(threads, g.N);
  return tiles / parts >= 192 ? parts : 1;
}

/**
 * 3x3 stride-2 layers (no dilation or groups, no cropping pads) with 64 input and 64 output channels or
 * more, tile rows the block holds, and 96 tiles (2x2 blocks of dy) or more per part: the M traffic of fewer
 * cost more than the multiply-adds saved. Measured against the direct kernel (isa-check --cpu-time, Zen 4,
 * interleaved, load ~5, share of the FMA peak), 1 thread, AVX2 / AVX-512: 8x64x56x56 -> 128 83-85 / 84-88%
 * -> 94-102 / 112%, 16x96x32x32 83-86 / 83-86% -> 92-99 / 99-111%, 2x128x28x28 (98 tiles) 87 / 88-90% ->
 * 89-92 / 93-97%; 2x256x14x14 (32 tiles) 77% -> 46-57%. ResNet-20's 16- and 32-channel layers (64x16x32x32,
 * 64x32x16x16) gained nothing clear (within the noise at load ~8, AVX2 a few points worse), so stay direct.
 */
bool winogradS2FilterGradFits(const ConvGeom& g, int threads) {
  if (g.KH != 3 || g.KW != 3 || g.SH != 2 || g.SW != 2 || g.DH != 1 || g.DW != 1 || g.G != 1) return false;
  if (g.PT < 0 || g.PB < 0 || g.PL < 0 || g.PR < 0) return false;
  if (g.C < 64 || g.O < 64 || g.OH < 2 || g.OW < 2 || (g.OW + 1) / 2 > kS2FilterCap) return false;
  return g.N * ((g.OH + 1) / 2) * ((g.OW + 1) / 2) / s2FilterParts(g, threads) >= 96;
}

/** (p0 - p2, p2, p4 - p2, p1, p3) of one dimension. */
SN_INLINE void s2InputTransform(const S::V* p, S::V* t) {
  t[0] = S::sub(p[0], p[2]);
  t[1] = p[2];
  t[2] = S::sub(p[4], p[2]);
  t[3] = p[1];
  t[4] = p[3];
}

/**
 * V[xi][at + l] (xi planes xs apart) for tiles tx0 + l, l < N, of the tile row whose 5x5 patches start at
 * row `top` of a one-channel stride-2 slab (patch column j of tile tx in phase j & 1 at index 2 tx + j / 2).
 * Lanes past the row's tiles hold finite values the caller overwrites or zeroes.
 */
void s2FilterInput(const Slab& slab, int64_t top, int64_t tx0, float* V, int64_t xs, int64_t at) {
  const float* base = slab.data + top * slab.Wq + 2 * tx0;
  S::V r[5][5];
#pragma GCC unroll 5
  for (int i = 0; i < 5; i++) {
    const float* e = base + i * slab.Wq;
    const float* o = e + slab.phaseStride;
    const S::V e0 = S::load(e), e1 = S::load(e + S::N), o0 = S::load(o), o1 = S::load(o + S::N);
    const S::V p[5] = {S::evens(e0, e1), S::evens(o0, o1), S::odds(e0, e1), S::odds(o0, o1), S::evens(S::load(e + 2), S::load(e + 2 + S::N))};
    s2InputTransform(p, r[i]);
  }
  float* out = V + at;
#pragma GCC unroll 5
  for (int b = 0; b < 5; b++) {
    const S::V col[5] = {r[0][b], r[1][b], r[2][b], r[3][b], r[4][b]};
    S::V t[5];
    s2InputTransform(col, t);
#pragma GCC unroll 5
    for (int a = 0; a < 5; a++) S::store(out + (a * 5 + b) * xs, t[a]);
  }
}

/** dy's stored element for transformed element e of one dimension: (h0, h0 + h1, h1, h0, h1). */
constexpr int kS2DyElem[5] = {0, 1, 2, 0, 2};

/**
 * H[3 a + b][panel][at + tx][NV N], a, b < 3, for the tiles of tile row ty from the dy^T panels bt
 * (bt[panel][p][NV N], positions past OH or OW read as zero); planes xs apart, panels K tiles apart.
 */
template <int NV>
void s2FilterDy(const float* bt, int64_t OH, int64_t OW, int64_t TW, int64_t ty, int64_t panels, int64_t K, int64_t xs, float* H, int64_t at) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t P = OH * OW, oh = 2 * ty;
  const bool down = oh + 1 < OH;
  for (int64_t tx = 0; tx < TW; tx++) {
    const int64_t ow = 2 * tx;
    const bool right = ow + 1 < OW;
    for (int64_t pn = 0; pn < panels; pn++) {
      const float* b = bt + (pn * P + oh * OW + ow) * kPanel;
      float* o = H + (pn * K + at + tx) * kPanel;
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) {
        const S::V h00 = S::load(b + v * S::N), h01 = right ? S::load(b + kPanel + v * S::N) : S::zero();
        const S::V h10 = down ? S::load(b + OW * kPanel + v * S::N) : S::zero();
        const S::V h11 = down && right ? S::load(b + (OW + 1) * kPanel + v * S::N) : S::zero();
        const S::V u[2][3] = {{h00, S::add(h00, h01), h01}, {h10, S::add(h10, h11), h11}};
#pragma GCC unroll 3
        for (int c = 0; c < 3; c++) {
          S::store(o + c * xs + v * S::N, u[0][c]);
          S::store(o + (3 + c) * xs + v * S::N, S::add(u[0][c], u[1][c]));
          S::store(o + (6 + c) * xs + v * S::N, u[1][c]);
        }
      }
    }
  }
}

/**
 * dW from the parts' M[xi][panel][c][NV N]: their sum, then taps (m0 + m1, m3 + m4, m1 + m2) along each row
 * and down the columns for each (o, c). Blocks of input channels across the pool.
 */
template <int NV>
void s2FilterInverse(const ConvGeom& g, const float* M, int64_t parts, int64_t mFloats, int64_t panels, int64_t CP, float* dw, ThreadPool& pool) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t blocks = std::min<int64_t>(g.C, 4 * pool.size());
  pool.run(blocks, [&](int64_t blk) {
    for (int64_t c = g.C * blk / blocks; c < g.C * (blk + 1) / blocks; c++)
      for (int64_t pn = 0; pn < panels; pn++) {
        alignas(64) float t[9][kPanel];
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) {
          S::V q[kS2FilterElems];
#pragma GCC unroll 25
          for (int xi = 0; xi < kS2FilterElems; xi++) {
            const float* at = M + ((xi * panels + pn) * CP + c) * kPanel + v * S::N;
            q[xi] = S::load(at);
            for (int64_t part = 1; part < parts; part++) q[xi] = S::add(q[xi], S::load(at + part * mFloats));
          }
          S::V s[5][3];
#pragma GCC unroll 5
          for (int a = 0; a < 5; a++) {
            s[a][0] = S::add(q[a * 5], q[a * 5 + 1]);
            s[a][1] = S::add(q[a * 5 + 3], q[a * 5 + 4]);
            s[a][2] = S::add(q[a * 5 + 1], q[a * 5 + 2]);
          }
#pragma GCC unroll 3
          for (int kw = 0; kw < 3; kw++) {
            S::store(t[kw] + v * S::N, S::add(s[0][kw], s[1][kw]));
            S::store(t[3 + kw] + v * S::N, S::add(s[3][kw], s[4][kw]));
            S::store(t[6 + kw] + v * S::N, S::add(s[1][kw], s[2][kw]));
          }
        }
        const int64_t on = std::min<int64_t>(kPanel, g.O - pn * kPanel);
        for (int64_t o = 0; o < on; o++) {
          float* out = dw + ((pn * kPanel + o) * g.C + c) * 9;
          for (int k = 0; k < 9; k++) out[k] = t[k][o];
        }
      }
  });
}

template <int NV, int MR>
void winogradS2FilterGradBy(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  constexpr int64_t kPanel = NV * S::N;
  constexpr int64_t N = S::N;
  constexpr int E = kS2FilterElems;
  const int64_t TH = (g.OH + 1) / 2, TW = (g.OW + 1) / 2;
  // The padded input as a stride-2 slab, wide enough that the last vector of a tile row (tiles lastTx ..
  // lastTx + N - 1) reads inside it: phase index up to 2 lastTx + 2 N + 1.
  const int64_t lastTx = (TW - 1) / N * N;
  ConvGeom sg = g;
  sg.PR = std::max<int64_t>(g.PR, 2 * (2 * lastTx + 2 * N + 2) - g.W - g.PL);
  const int64_t panels = (g.O + kPanel - 1) / kPanel, cTiles = (g.C + MR - 1) / MR, CP = cTiles * MR;
  // M[part][xi][panel][CP][NV N], in the calling thread's slot (tasks use the slab and panel slots).
  const int64_t mFloats = E * panels * CP * kPanel;
  // Images split across parts (each its own M, added by the inverse); threads past the parts split channel
  // tiles, each chunk transforming dy again.
  const int threads = pool.size();
  const int64_t parts = s2FilterParts(g, threads);
  const int64_t chunks = std::min<int64_t>(cTiles, (threads + parts - 1) / parts);
  float* M = scratch(static_cast<size_t>(parts * mFloats), kPhaseSlot);
  pool.run(parts * chunks, [&](int64_t task) {
    const int64_t part = task / chunks, chunk = task % chunks;
    const int64_t nb = g.N * part / parts, ne = g.N * (part + 1) / parts;
    const int64_t ct0 = cTiles * chunk / chunks, ct1 = cTiles * (chunk + 1) / chunks;
    const int64_t c0 = ct0 * MR, cn = std::min(g.C, ct1 * MR) - c0, cRows = (ct1 - ct0) * MR;
    float* m = M + part * mFloats;
    for (int64_t xp = 0; xp < E * panels; xp++)
      std::memset(m + (xp * CP + c0) * kPanel, 0, static_cast<size_t>(cRows * kPanel) * sizeof(float));
    if (nb >= ne || ct0 >= ct1) return;
    // A block of whole tile rows, `cap` tiles: V[xi][cRows][kS2FilterRow] and H[9][panel][hCap][NV N]. Planes
    // a cache line more than packed apart (as the stride-1 kernel's).
    const int64_t blockRows = s2FilterBlockRows(TW, E * cRows + 9 * panels * kPanel);
    const int64_t cap = blockRows * TW, hCap = (cap + N - 1) / N * N;
    const int64_t vRow = kS2FilterRow, vxs = cRows * vRow + 64 / sizeof(float), hxs = panels * hCap * kPanel + kPanel;
    const int64_t bandRows = 4 * blockRows + 1;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(sg, bandRows, 1)), kSlabSlot);
    const int64_t btFloats = panels * g.P * kPanel;
    float* bt = scratch(static_cast<size_t>(btFloats + E * vxs + 9 * hxs), kPanelSlot);
    float* V = bt + btFloats;
    float* H = V + E * vxs;
    // Rows past cn of the last channel tile are read as zeros (their sums land in M's padding rows).
    for (int xi = 0; xi < E; xi++)
      std::memset(V + xi * vxs + cn * vRow, 0, static_cast<size_t>((cRows - cn) * vRow) * sizeof(float));
    int64_t count = 0;
    auto gemm = [&]() {
      const int64_t passes = (count + N - 1) / N, end = passes * N;
      // The last pass's lanes past the block's tiles: zero V (the input transform left values there) and H.
      for (int xi = 0; xi < E && end > count; xi++)
        for (int64_t c = 0; c < cn; c++) std::memset(V + xi * vxs + c * vRow + count, 0, static_cast<size_t>(end - count) * sizeof(float));
      for (int xh = 0; xh < 9 && end > count; xh++)
        for (int64_t pn = 0; pn < panels; pn++)
          std::memset(H + xh * hxs + (pn * hCap + count) * kPanel, 0, static_cast<size_t>((end - count) * kPanel) * sizeof(float));
      for (int xi = 0; xi < E; xi++) {
        const float* h = H + (3 * kS2DyElem[xi / 5] + kS2DyElem[xi % 5]) * hxs;
        for (int64_t ct = ct0; ct < ct1; ct++)
          for (int64_t pn = 0; pn < panels; pn++)
            winoFilterGemm<NV, MR, kS2FilterRow>(V + xi * vxs + (ct - ct0) * MR * vRow, N, passes, h + pn * hCap * kPanel,
                                                 m + ((xi * panels + pn) * CP + ct * MR) * kPanel);
      }
      count = 0;
    };
    for (int64_t n = nb; n < ne; n++) {
      const float* image = x + n * g.C * g.H * g.W;
      const float* dyn = dy + n * g.O * g.P;
      for (int64_t pn = 0; pn < panels; pn++) packDyPanel<NV>(dyn + pn * kPanel * g.P, g.P, g.P, std::min(kPanel, g.O - pn * kPanel), bt + pn * g.P * kPanel);
      for (int64_t ty0 = 0; ty0 < TH;) {
        if (count + TW > cap) gemm();
        // The tile rows that fit the block: each channel's padded rows 4 ty0 .. 4 ty1 as a band, then transformed.
        const int64_t ty1 = std::min(TH, ty0 + (cap - count) / TW);
        Slab band(sg, 4 * ty0, 4 * (ty1 - ty0) + 1, buffer);
        for (int64_t c = 0; c < cn; c++) {
          band.fill(sg, image, c0 + c, 1);
          for (int64_t ty = ty0; ty < ty1; ty++)
            for (int64_t tx0 = 0; tx0 < TW; tx0 += N) s2FilterInput(band, 4 * (ty - ty0), tx0, V + c * vRow, vxs, count + (ty - ty0) * TW + tx0);
        }
        for (int64_t ty = ty0; ty < ty1; ty++) s2FilterDy<NV>(bt, g.OH, g.OW, TW, ty, panels, hCap, hxs, H, count + (ty - ty0) * TW);
        count += (ty1 - ty0) * TW;
        ty0 = ty1;
      }
    }
    if (count) gemm();
  });
  s2FilterInverse<NV>(g, M, parts, mFloats, panels, CP, dw, pool);
}

/**
 * The GEMM tile's channels: kFilterMR, or on 12-row paths 8 where that pads the input channels less (64
 * channels: 72 rows, an eighth of them zeros, against 64).
 */
template <int NV>
void winogradS2FilterGradNV(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if constexpr (kFilterMR == 12) {
    if ((g.C + 7) / 8 * 8 < (g.C + 11) / 12 * 12) {
      winogradS2FilterGradBy<NV, 8>(g, x, dy, dw, pool);
      return;
    }
  }
  winogradS2FilterGradBy<NV, kFilterMR>(g, x, dy, dw, pool);
}

void winogradS2FilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if constexpr (kOneVectorPanels) {
    if (filterPanelVectors(g.O) == 1) {
      winogradS2FilterGradNV<1>(g, x, dy, dw, pool);
      return;
    }
  }
  winogradS2FilterGradNV<2>(g, x, dy, dw, pool);
}
