// ISA fragment (see README.md): the filter gradient of 3x3 stride-1 layers by Winograd F(3x3, 2x2).
// dW[o][c] (3x3) correlates the padded input with dy. Over a 2x2 block h of dy (a tile) and the 4x4 input
// patch d under it (patches overlap by 2, as the forward's), its share is G^T [(A h A^T) . (B^T d B)] G,
// with B^T the input transform of the forward's F(2x2, 3x3), A (4x2) the transpose of that one's output
// transform and G^T (3x4) the transpose of its filter transform: filter and output trade places. So the 36
// multiply-adds per tile and channel pair become 16: for each transformed element xi a GEMM
// M[xi] (C x O) += V[xi] (C x tiles) H[xi] (tiles x O) over every tile of every image, and at the end one
// inverse transform of M into dW.
//
// Tiles are numbered row-major across an image, N a vector, so that only an image's last vector has empty
// lanes (28 tiles a row fill 16 lanes); the input transform is the forward's (winoInput, V[xi][c][N tiles]),
// dy is packed as dy^T panels of NV N channels (packDyPanel; NV = filterPanelVectors, 1 or 2) and transformed
// with the channels in the lanes (H[xi][panel][tile][NV N]). The GEMM tile is MR input channels (broadcast
// from V; a last tile or two of 4 where 6-row tiles would pad) x NV vectors of output channels, run over a block of
// tiles whose transforms stay in L2.

/** Bytes of one GEMM block's transformed inputs and dy. */
constexpr int64_t kWinoFilterBlockBytes = int64_t{1} << 20;

/** Most tile rows that one vector of N row-major tiles of a TH x TW grid touches (the pieces winoInput loads). */
int winoFilterPieces(int64_t TH, int64_t TW) {
  const int64_t tiles = TH * TW;
  int64_t most = 0;
  for (int64_t t0 = 0; t0 < tiles; t0 += S::N) {
    const int64_t t1 = std::min<int64_t>(tiles, t0 + S::N);
    most = std::max(most, (t1 - 1) / TW - t0 / TW + 1);
  }
  return static_cast<int>(most);
}

/**
 * Most pieces a vector the kernel is compiled for: 4; 2 on 4 lanes, where 4 tiles of rows of 2 or more (OW >= 4)
 * never touch more (so winoFilterGradRun's 3- and 4-piece loads are not compiled there; see the README, "Developing").
 */
constexpr int kWinoFilterMaxPieces = S::N == 4 ? 2 : 4;

/**
 * 3x3 stride-1 layers with 16 input channels and 16 output channels (a whole panel: 2 x 8 or 1 x 16) or
 * more, 4x4 outputs or more, whose vectors of tiles touch at most 4 tile rows. Measured against the direct
 * kernel (isa-check --cpu-time, 1 thread, Zen 4, share of the FMA peak, interleaved, loaded machine), AVX2:
 * 8x64x56x56 87% -> 125-136%, 4x128x28x28 88 -> 148-154%, 2x256x14x14 90 -> 129-133%, 32x16x32x32
 * 76 -> 82% (81 -> 103% quieter), 32x32x16x16 79 -> 127%, 32x64x8x8 82 -> 149%; AVX-512 alike (2x256x14x14
 * 87 -> 102-105%; 32x16x32x32 on one-vector panels 79-81% direct -> 86-94%, load ~15; on 2-vector panels,
 * half of them zeros, it had measured 42 -> 47%). 4-lane paths take the 8-lane rule (NEON speed is not
 * measured here).
 */
bool winogradFilterGradFits(const ConvGeom& g) {
  if (g.KH != 3 || g.KW != 3 || g.SH != 1 || g.SW != 1 || g.DH != 1 || g.DW != 1 || g.G != 1) return false;
  if (g.C < 16 || g.O < 16 || g.OH < 4 || g.OW < 4) return false;
  return winoFilterPieces((g.OH + 1) / 2, (g.OW + 1) / 2) <= kWinoFilterMaxPieces;
}

/**
 * Slab offsets (of each piece's lane 0) and lane bits of the R pieces of vector `vec` of an image's tiles,
 * tiles vec N .. vec N + N - 1 of `tiles` in rows of TW; returns how many of its lanes are tiles.
 */
template <int R>
int64_t winoFilterVector(int64_t vec, int64_t tiles, int64_t TW, int64_t Wq, int64_t (*at)[4], uint32_t (*bits)[4]) {
  const int64_t t0 = vec * S::N, n = std::min<int64_t>(S::N, tiles - t0);
  int64_t t = t0;
  for (int r = 0; r < R; r++) {
    at[0][r] = 0;
    bits[0][r] = 0;
    if (t >= t0 + n) continue;
    const int64_t ty = t / TW, tx = t % TW, run = std::min(TW - tx, t0 + n - t), lane0 = t - t0;
    at[0][r] = 2 * ty * Wq + tx - lane0;
    bits[0][r] = laneBits(lane0, lane0 + run);
    t += run;
  }
  return n;
}

/**
 * H[xi][panel][l][NV N] for lanes l < N of one vector (tiles t0 .. t0 + n - 1, zero past them): A' h A'^T of each
 * tile's 2x2 block h of the dy^T panels bt (positions past OH or OW read as zero). A' has rows (1, 0),
 * (1, 1), (1, -1), (0, 1): A with its last row negated, which the inverse transform undoes.
 */
template <int NV>
void winoFilterDy(const float* bt, int64_t OH, int64_t OW, int64_t TW, int64_t t0, int64_t n, int64_t panels, int64_t K, int64_t xs, float* H) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t P = OH * OW;
  for (int64_t l = 0; l < S::N; l++) {
    float* out = H + l * kPanel;
    if (l >= n) {
      for (int xi = 0; xi < 16; xi++)
        for (int64_t pn = 0; pn < panels; pn++)
#pragma GCC unroll 2
          for (int v = 0; v < NV; v++) S::store(out + xi * xs + pn * K * kPanel + v * S::N, S::zero());
      continue;
    }
    const int64_t t = t0 + l, oh = 2 * (t / TW), ow = 2 * (t % TW);
    const bool down = oh + 1 < OH, right = ow + 1 < OW;
    for (int64_t pn = 0; pn < panels; pn++) {
      const float* b = bt + (pn * P + oh * OW + ow) * kPanel;
      float* o = out + pn * K * kPanel;
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) {
        const S::V h00 = S::load(b + v * S::N), h01 = right ? S::load(b + kPanel + v * S::N) : S::zero();
        const S::V h10 = down ? S::load(b + OW * kPanel + v * S::N) : S::zero();
        const S::V h11 = down && right ? S::load(b + (OW + 1) * kPanel + v * S::N) : S::zero();
        const S::V r[4][2] = {{h00, h01}, {S::add(h00, h10), S::add(h01, h11)}, {S::sub(h00, h10), S::sub(h01, h11)}, {h10, h11}};
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++) {
          S::store(o + (a * 4 + 0) * xs + v * S::N, r[a][0]);
          S::store(o + (a * 4 + 1) * xs + v * S::N, S::add(r[a][0], r[a][1]));
          S::store(o + (a * 4 + 2) * xs + v * S::N, S::sub(r[a][0], r[a][1]));
          S::store(o + (a * 4 + 3) * xs + v * S::N, r[a][1]);
        }
      }
    }
  }
}

/**
 * m[i][NV N] += sum over the tiles of `passes` vectors of V rows i (v[i kRow + lane], the next vector passStride
 * floats on) times H (h[tile][NV N]), for the MR channels of one tile. kRow is a constant, so that every
 * broadcast addresses v plus a constant (a row stride in a register spilled the 12 row pointers on AVX-512).
 */
template <int NV, int MR, int64_t kRow = S::N>
void winoFilterGemm(const float* v, int64_t passStride, int64_t passes, const float* h, float* m) {
  constexpr int64_t kPanel = NV * S::N;
  S::V c[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
    for (int u = 0; u < NV; u++) c[i][u] = S::load(m + i * kPanel + u * S::N);
  for (int64_t p = 0; p < passes; p++) {
#pragma GCC unroll 16
    for (int k = 0; k < S::N; k++) {
      S::V b[NV];
#pragma GCC unroll 2
      for (int u = 0; u < NV; u++) b[u] = S::load(h + k * kPanel + u * S::N);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        const S::V a = S::set1(v[i * kRow + k]);
#pragma GCC unroll 2
        for (int u = 0; u < NV; u++) c[i][u] = S::fma(a, b[u], c[i][u]);
      }
    }
    v += passStride;
    h += S::N * kPanel;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
    for (int u = 0; u < NV; u++) S::store(m + i * kPanel + u * S::N, c[i][u]);
}

/**
 * How the pool shares the work: `parts` runs of images, each summing into its own M (added up by the inverse
 * transform), or `chunks` runs of input-channel tiles, each transforming dy again. Picked by a rough
 * per-thread cost in cycles: 2 vector multiply-adds a cycle, about 24 cycles per channel and vector of the
 * input transform and 32 per tile and panel of dy's, 2 per vector of M to zero and add.
 */
struct WinoFilterSplit {
  int64_t parts, chunks;
};

WinoFilterSplit winoFilterSplit(const ConvGeom& g, int threads, int64_t cTiles, int64_t vectors, int64_t panels, int64_t panelFloats,
                                int64_t mFloats) {
  if (threads <= 1) return {1, 1};
  const double tiles = static_cast<double>(vectors * S::N);
  const double gemm = 16.0 * tiles * static_cast<double>(cTiles * kFilterMR * panels * panelFloats) / (2.0 * S::N);
  const double input = 24.0 * static_cast<double>(g.C * vectors), dyT = 32.0 * tiles * static_cast<double>(panels);
  const int64_t parts = std::min<int64_t>(threads, g.N), chunks = std::min<int64_t>(threads, cTiles);
  const double byImages = static_cast<double>((g.N + parts - 1) / parts) * (gemm + input + dyT) +
                          4.0 * static_cast<double>(parts * mFloats / S::N) / threads;
  const double share = static_cast<double>((cTiles + chunks - 1) / chunks) / static_cast<double>(cTiles);
  const double byChannels = static_cast<double>(g.N) * (gemm * share + input * share + dyT);
  return byChannels < byImages ? WinoFilterSplit{1, chunks} : WinoFilterSplit{parts, 1};
}

/**
 * dW from the parts' M[xi][panel][c][NV N]: their sum, then G'^T M G' for each (o, c), G'^T rows
 * (1, 1/2, 1/2, 0), (0, 1/2, -1/2, 0), (0, 1/2, 1/2, -1) (G^T with A's sign undone). Blocks of input
 * channels across the pool.
 */
template <int NV>
void winoFilterInverse(const ConvGeom& g, const float* M, int64_t parts, int64_t mFloats, int64_t panels, int64_t CP, float* dw, ThreadPool& pool) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t blocks = std::min<int64_t>(g.C, 4 * pool.size());
  pool.run(blocks, [&](int64_t blk) {
    const S::V half = S::set1(0.5f);
    for (int64_t c = g.C * blk / blocks; c < g.C * (blk + 1) / blocks; c++)
      for (int64_t pn = 0; pn < panels; pn++) {
        alignas(64) float t[9][kPanel];
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++) {
          S::V q[16];
#pragma GCC unroll 16
          for (int xi = 0; xi < 16; xi++) {
            const float* at = M + ((xi * panels + pn) * CP + c) * kPanel + v * S::N;
            q[xi] = S::load(at);
            for (int64_t part = 1; part < parts; part++) q[xi] = S::add(q[xi], S::load(at + part * mFloats));
          }
          // Along each row (kw), then down the columns (kh).
          S::V s[4][3];
#pragma GCC unroll 4
          for (int i = 0; i < 4; i++) {
            const S::V sum = S::mul(half, S::add(q[i * 4 + 1], q[i * 4 + 2]));
            s[i][0] = S::add(q[i * 4], sum);
            s[i][1] = S::mul(half, S::sub(q[i * 4 + 1], q[i * 4 + 2]));
            s[i][2] = S::sub(sum, q[i * 4 + 3]);
          }
#pragma GCC unroll 3
          for (int kw = 0; kw < 3; kw++) {
            const S::V sum = S::mul(half, S::add(s[1][kw], s[2][kw]));
            S::store(t[kw] + v * S::N, S::add(s[0][kw], sum));
            S::store(t[3 + kw] + v * S::N, S::mul(half, S::sub(s[1][kw], s[2][kw])));
            S::store(t[6 + kw] + v * S::N, S::sub(sum, s[3][kw]));
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

/**
 * The filter gradient's input-channel tiles: winoRowTiles' on 8 and 4 lanes; on 16 lanes (MR 12) the last tiles of
 * 8 rows where ceil(C / 12) tiles of 12 and 8 rows cover C exactly (16 = 8 + 8, 32 = 2 x 12 + 8, 64 = 4 x 12 + 2 x 8;
 * 24, 36 and 72 rows before, the rows past C multiplying zeros). The 8 x 1 tile keeps 8 accumulators (both FMA pipes
 * at 4 cycles' latency), the 8 x 2 one 16. Emerald Rapids, isa-check --isa avx512 --columns filter --cpu-time
 * --threads 1, 4 interleaved rounds, load ~4, GFLOP/s: 32x16x32x32 -> 16 130-137 -> 150-152, 32x32x16x16 -> 32
 * 205-214 -> 218-232, 32x64x8x8 -> 64 244-250 -> 263-270. One 16 x 1 tile for 16 channels (16 accumulators) ran
 * even with 8 + 8 (135-159 against 135-155, 4 rounds). AMD's 16-lane path (Zen 4: 32 and 64 channels; Zen 5 all)
 * takes the same tiles, not measured there: the same loads per multiply-add, a third, a ninth fewer multiply-adds.
 */
WinoRows winoFilterRowTiles(int mr, int64_t C) {
  if (S::N == 16 && mr == 12) {
    const int64_t tiles = (C + 11) / 12, over = tiles * 12 - C;
    if (over > 0 && over % 4 == 0 && over / 4 <= tiles) {
      WinoRows t;
      t.mr = 12;
      t.nr = 8;
      t.tiles = tiles;
      t.narrow = over / 4;
      t.rows = t.base(tiles);
      return t;
    }
  }
  return winoRowTiles(mr, C, true);
}

template <int NV, int R>
void winoFilterGradRun(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  constexpr int MR = kFilterMR;
  constexpr int64_t kPanel = NV * S::N;
  constexpr int64_t N = S::N;
  const int64_t TH = (g.OH + 1) / 2, TW = (g.OW + 1) / 2, tiles = TH * TW, vectors = (tiles + N - 1) / N;
  // The padded input as a stride-2 slab, as the forward's: tile tx's patch column j is phase j & 1, index tx + j / 2.
  ConvGeom sg = g;
  sg.SW = 2;
  sg.PR = std::max<int64_t>(g.PR, 2 * TW + 2 - g.W - g.PL);
  const int64_t rows = 2 * TH + 2;
  // Input-channel tiles of MR rows, the last one or two of 4 rows where that pads none (winoRowTiles: 16 = 6 + 6 + 4,
  // 32 = 4 x 6 + 2 x 4 on the 6 x 2 tile; 18 and 36 rows before). Emerald Rapids, avx2 path, isa-check --bench-only
  // --columns filter --cpu-time --threads 1, 4 interleaved rounds, load 6, GFLOP/s: 32x16x32x32 -> 16 105-108 ->
  // 110-112, 32x32x16x16 -> 32 148-154 -> 159-162 (32x64x8x8 -> 64 as 10 x 6 + 4: 163-171 -> 170-173, within the
  // noise; the forward lost there, see winoRowTiles).
  const WinoRows rt = winoFilterRowTiles(MR, g.C);
  const int64_t panels = (g.O + kPanel - 1) / kPanel, cTiles = rt.tiles, CP = rt.rows;
  // M[part][xi][panel][CP][NV N], in the calling thread's slot (tasks use the slab and panel slots).
  const int64_t mFloats = 16 * panels * CP * kPanel;
  const WinoFilterSplit split = winoFilterSplit(g, pool.size(), cTiles, vectors, panels, kPanel, mFloats);
  const int64_t parts = split.parts, chunks = split.chunks;
  float* M = scratch(static_cast<size_t>(parts * mFloats), kPhaseSlot);
  pool.run(parts * chunks, [&](int64_t task) {
    const int64_t part = task / chunks, chunk = task % chunks;
    const int64_t nb = g.N * part / parts, ne = g.N * (part + 1) / parts;
    const int64_t ct0 = cTiles * chunk / chunks, ct1 = cTiles * (chunk + 1) / chunks;
    const int64_t c0 = rt.base(ct0), cn = std::min(g.C, rt.base(ct1)) - c0;
    float* m = M + part * mFloats;
    for (int64_t xp = 0; xp < 16 * panels; xp++)
      std::memset(m + (xp * CP + c0) * kPanel, 0, static_cast<size_t>((rt.base(ct1) - c0) * kPanel) * sizeof(float));
    if (nb >= ne || ct0 >= ct1) return;
    // Blocks of B vectors: V[B][xi][cn][N] and H[xi][panel][B N][NV N] within kWinoFilterBlockBytes.
    const int64_t B = std::clamp<int64_t>(kWinoFilterBlockBytes / (4 * 16 * N * (cn + panels * kPanel)), 2, 64);
    // xi planes a cache line more than packed apart: 16 streams a power of two apart would share L1 sets.
    const int64_t vxs = cn * N + 64 / sizeof(float), passStride = 16 * vxs, K = B * N, slack = MR * N;
    const int64_t hxs = panels * K * kPanel + kPanel;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(sg, rows, cn)), kSlabSlot);
    const int64_t btFloats = panels * g.P * kPanel;
    float* bt = scratch(static_cast<size_t>(btFloats + B * passStride + slack + 16 * hxs), kPanelSlot);
    float* V = bt + btFloats;
    float* H = V + B * passStride + slack;
    // The last tile's rows past cn read these (their sums land in M's padding rows).
    std::memset(V + B * passStride, 0, static_cast<size_t>(slack) * sizeof(float));
    Slab slab(sg, 0, rows, buffer);
    auto gemm = [&](int64_t passes) {
      for (int xi = 0; xi < 16; xi++)
        for (int64_t ct = ct0; ct < ct1; ct++)
          for (int64_t pn = 0; pn < panels; pn++) {
            const float* v = V + xi * vxs + (rt.base(ct) - c0) * N;
            const float* h = H + xi * hxs + pn * K * kPanel;
            float* mo = m + ((xi * panels + pn) * CP + rt.base(ct)) * kPanel;
            if constexpr (MR == 6) {
              if (rt.count(ct) == 4) {
                winoFilterGemm<NV, 4>(v, passStride, passes, h, mo);
                continue;
              }
            }
            if constexpr (MR == 12 && S::N == 16) {
              if (rt.count(ct) == 8) {
                winoFilterGemm<NV, 8>(v, passStride, passes, h, mo);
                continue;
              }
            }
            winoFilterGemm<NV, MR>(v, passStride, passes, h, mo);
          }
    };
    int64_t b = 0;
    for (int64_t n = nb; n < ne; n++) {
      slab.fill(sg, x + n * g.C * g.H * g.W, c0, cn);
      const float* dyn = dy + n * g.O * g.P;
      for (int64_t pn = 0; pn < panels; pn++) packDyPanel<NV>(dyn + pn * kPanel * g.P, g.P, g.P, std::min(kPanel, g.O - pn * kPanel), bt + pn * g.P * kPanel);
      for (int64_t vec = 0; vec < vectors; vec++) {
        int64_t at[1][4];
        uint32_t bits[1][4];
        const int64_t used = winoFilterVector<R>(vec, tiles, TW, slab.Wq, at, bits);
        winoInput<R, 1>(buffer, cn, slab.phaseStride, slab.Wq, at, bits, V + b * passStride, vxs);
        winoFilterDy<NV>(bt, g.OH, g.OW, TW, vec * N, used, panels, K, hxs, H + b * N * kPanel);
        if (++b == B) {
          gemm(b);
          b = 0;
        }
      }
    }
    if (b) gemm(b);
  });
  winoFilterInverse<NV>(g, M, parts, mFloats, panels, CP, dw, pool);
}

template <int NV>
void winogradFilterGradBy(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  switch (winoFilterPieces((g.OH + 1) / 2, (g.OW + 1) / 2)) {
    case 1: winoFilterGradRun<NV, 1>(g, x, dy, dw, pool); break;
    case 2: winoFilterGradRun<NV, 2>(g, x, dy, dw, pool); break;
    case 3:
      if constexpr (kWinoFilterMaxPieces >= 3) winoFilterGradRun<NV, 3>(g, x, dy, dw, pool);
      break;
    default:
      if constexpr (kWinoFilterMaxPieces >= 4) winoFilterGradRun<NV, 4>(g, x, dy, dw, pool);
      break;
  }
}

void winogradFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if constexpr (kOneVectorPanels) {
    if (filterPanelVectors(g.O) == 1) {
      winogradFilterGradBy<1>(g, x, dy, dw, pool);
      return;
    }
  }
  winogradFilterGradBy<2>(g, x, dy, dw, pool);
}
