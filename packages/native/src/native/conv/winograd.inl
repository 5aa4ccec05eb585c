// ISA fragment (see README.md): Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions. Each 2x2 output
// tile comes from a 4x4 input patch d as A^T [(G g G^T) . (B^T d B)] A, so the 36 multiply-adds per tile
// and channel pair become 16 (one product per transformed element xi, a GEMM over input channels for
// each xi). Transforms run on vectors of N tiles; two such vectors share each GEMM pass
// (kWinoMR output channels x 2N tiles), or three on AVX2 where a 4 x 3N tile pads less (WinoTile).

constexpr int kWinoMR = S::kWinoMR;

/**
 * The GEMM tile of a Winograd pass: MR output channels x NV vectors of tiles (a panel of NV N tiles).
 * Every ISA has kWinoMR x 2; 8-lane AVX2 (16 registers, kWinoMR 6) also 4 x 3, which fills the registers
 * alike and pads no channel rows for 16, 32 and 64 channels (see winoWideTile).
 */
template <int MR_, int NV_>
struct WinoTile {
  static constexpr int MR = MR_, NV = NV_;
  static constexpr int64_t kPanel = NV * S::N;
};

/**
 * Where Winograd beats the tiled kernel (bench/conv-shapes.ts, _wino shapes in the native README):
 * - 16-lane vectors (Zen 5): from 7 tiles a row (14 output columns; 6x6 outputs ran at half the direct
 *   kernel's speed) and 16 channels;
 * - 8-lane vectors: from 4 tiles a row and 64 input channels. From 16 channels Winograd measured faster
 *   on AVX2 (Zen 2, 1 thread, CPU time: ResNet-20's 32x16x32x32 -> 16 99-103 direct-equivalent GFLOP/s
 *   against 67-73 tiled, 32x32x16x16 -> 32 126-130 against 72-80), but its rounding flips ReLU inputs
 *   within rounding of zero and the bench's ResNet-20 training check (weights after one step against
 *   cpu-js, tolerance 1e-3) read 2.3e-2 on a batch-norm bias, so 16-63 channels take Winograd only for
 *   filters marked constant (Backend.markConstant: compile()'s folded inference weights) and for the flipped filter
 *   of an input gradient, whose rounding flips no ReLU mask (dispatch.inl winogradFrom16), and the forward of
 *   trainable ones stays on the tiled kernel (until s39: see below). Measured again on Zen 5 (2026-12-07) with the check's gate on the
 *   weights after step 1, on the model seeds 7 and 1-5 (apps/bench/scripts/train-check-seeds.ts): the tiled forward
 *   itself misses the gate on three of the six (1.8e-2, 1.5e-3, 2.6e-3: float32 rounding in step 1's forward flips
 *   ReLU inputs against cpu-js), and the trainable forward by F(2x2, 3x3) read 2.3e-2 at the bench's seed 7 (by
 *   F(4x4, 3x3) 9e-3 to 4.1e-2 on every seed), so it stays off. 16-lane vectors keep the same rule: on Zen 4
 *   (AVX-512, 2026-12-05) the avx512 path took Winograd for ResNet-20's trainable 16- and 32-channel layers and
 *   its training check read the same 2.3e-2 on layer2.2's batch-norm bias (float64 reference: cpu-js 4.8e-7,
 *   avx2 1.3e-6). s39: that gate was not a precision bar (it failed the tiled kernel and PyTorch too); the bench now
 *   gates the step-1 weights against a float64 ReLU-flip oracle, under which F(2x2, 3x3) for trainable forwards
 *   reads <= 2.2e-6 at seeds 1-8, so on 8 and 16 lanes trainable forwards take it from 16 channels too
 *   (dispatch.inl winogradFrom16); 4-lane paths keep the 64-channel rule (not measured).
 *   7x7 outputs (4 tiles a row, the last half used) from 64 channels too: 3x3 layers at 7x7 on AVX2 (Zen 2,
 *   1 thread, CPU time, 3 interleaved rounds, medians) ran 47 -> 73 GFLOP/s (2x512 -> 512), 55 -> 100
 *   (4x256), 58 -> 94 (8x128); fewer channels at 7x7 were not measured.
 * - 16 lanes at 8x8 and 7x7 outputs (one vector of tiles an image, passes of one vector: winoSingleTile) from
 *   64 channels: on Zen 4 (1 thread, CPU time) 64x64x8x8 -> 64 ran 88 -> 166-173 GFLOP/s, 2x512x7x7 -> 512
 *   53-58 -> 57-58 with the filter transformed per call (its input gradient 20 -> 39-40).
 * - 8 lanes at 5x5 and 6x6 outputs (3 tiles a row, two tile rows a vector: 9 of an image's 16 lanes used) from
 *   64 channels, trainable filters too (All-CNN-C's valid 8x8 -> 6x6 192 -> 192 layer): Zen 5, avx2, isa-check
 *   --bench-only "x192x8x8 * " --columns forward --cpu-time, 1 thread, the same binary with the rule off then on,
 *   4 interleaved rounds at load 7-9, tiled kernel -> F(2x2, 3x3), GFLOP/s ranges (medians): 32x192x8x8 -> 192
 *   73.8-79.9 (75.7) -> 98.3-103.4 (102.4), 64x 74.4-75.5 (75.3) -> 99.1-106.2 (102.7), 16x 71.7-76.6 (74.0) ->
 *   82.1-97.8 (89.0). The avx512 path does not hand these to 8 lanes (winogradByEightLanes): its 16-lane tiled
 *   kernel ran them at 128-141 in the same session.
 * 4-lane paths take the 8-lane thresholds (NEON speed is not measured here).
 */
/** A 3x3, stride-1, undilated, ungrouped layer of 16 output channels or more and 2 output rows or more: the shape the 3x3 Winograd kernels take. */
bool winogradShape(const ConvGeom& g) {
  return g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.G == 1 && g.Og >= 16 && g.OH >= 2;
}

bool winogradFits(const ConvGeom& g, bool constantFilter) {
  const int64_t minCols = S::N >= 16 ? 14 : 8;
  const int64_t minChannels = constantFilter ? 16 : 64;
  const bool narrow = (S::N == 8 && g.OW >= 5 && g.OW <= 7) || (S::N == 16 && (g.OW == 7 || g.OW == 8));
  return winogradShape(g) && g.Cg >= minChannels && (g.OW >= minCols || (narrow && g.Cg >= 64));
}

/**
 * A GEMM's channel-row tiles: `tiles` of mr rows, the last `narrow` of 4 rows where mr is 6 (the 6 x 2 tile of 8 lanes)
 * and n leaves 4 or 2 rows over (6 + 6 + 4 for 16 channels, 4 x 6 + 2 x 4 for 32, 10 x 6 + 4 for 64), so no row is
 * padded (a ninth of the multiply-adds at 16 and 32 channels); the 4 x 2 tile keeps 8 accumulators, enough for both
 * FMA pipes. The output channels of F(2x2, 3x3) and F(4x4, 3x3) passes, the input channels of the filter gradient's.
 * `eighth`: narrow tiles only where the 6-row tiles would pad an eighth of n or more (16 and 32 channels, not 64).
 * Emerald Rapids, avx2 path, isa-check --bench-only --columns forward,input --cpu-time --threads 1, 5 interleaved
 * rounds, load 4-6, F(2x2, 3x3) GFLOP/s with narrow tiles: 32x32x16x16 -> 32 forward 152-159 -> 157-164, input
 * gradient 155-157 -> 160-164; 32x64x8x8 -> 64 151-155 -> 147-149 and 147-151 -> 144-146 (the 4 x 2 tile runs
 * below the 6 x 2 one by more than the 2 padded rows of 66 cost), hence `eighth` there and in the filter gradient.
 */
struct WinoRows {
  int64_t tiles = 0, narrow = 0, rows = 0;
  /** First channel row of tile ot and its row count. */
  int64_t base(int64_t ot) const { return ot <= tiles - narrow ? ot * mr : (tiles - narrow) * mr + (ot - tiles + narrow) * nr; }
  int count(int64_t ot) const { return ot < tiles - narrow ? mr : nr; }
  int mr = 0;
  /** Rows of a narrow tile: 4, or 8 in the 16-lane filter gradient (winoFilterRowTiles). */
  int nr = 4;
};

WinoRows winoRowTiles(int mr, int64_t n, bool eighth) {
  WinoRows t;
  t.mr = mr;
  t.tiles = (n + mr - 1) / mr;
  if (mr == 6 && n >= 8) {
    const int64_t over = (n + 1) / 2 * 2 % 6;  // rows past the whole 6-row tiles (n rounded up to even)
    if (over == 4) t.narrow = 1;
    if (over == 2) t.narrow = 2;
    if (eighth && 8 * (t.tiles * mr - n) < n) t.narrow = 0;
  }
  t.rows = t.base(t.tiles);
  return t;
}

int64_t winogradFilterFloats(const ConvGeom& g, int MR) { return 16 * winoRowTiles(MR, g.O, true).rows * g.C; }

/**
 * U[xi][o tile][c][rows of the tile] = (G g G^T)[xi] for each 3x3 filter g = w[o][c], tiles as winoRowTiles; rows
 * past O zero. Split over output
 * channels in blocks of about 512 filters, whole tiles of MR (a trainable filter is transformed on every
 * call: in blocks of 4096 filters a 64 -> 64 layer's transform ran on one thread). Each (tile, c) is
 * transformed whole and stored as 16 runs of MR floats (one per xi), rows past O as zeros: no memset first,
 * and no stores MR floats apart (16 per filter, which compiled to scatters on AVX-512).
 */
template <int MR>
void winogradFilter(const ConvGeom& g, const float* w, ThreadPool& pool, float* u) {
  const WinoRows rt = winoRowTiles(MR, g.O, true);
  const int64_t tiles = rt.tiles;
  const int64_t block = std::max<int64_t>(1, 512 / (g.C * MR));  // tiles per task
  pool.run((tiles + block - 1) / block, [&](int64_t b) {
    float v[16][MR];
    for (int64_t ot = b * block; ot < std::min(tiles, (b + 1) * block); ot++) {
      const int64_t o0 = rt.base(ot);
      const int rows = rt.count(ot), on = static_cast<int>(std::min<int64_t>(rows, g.O - o0));
      for (int64_t c = 0; c < g.C; c++) {
        for (int i = 0; i < rows; i++) {
          if (i >= on) {
            for (int xi = 0; xi < 16; xi++) v[xi][i] = 0.f;
            continue;
          }
          const float* k = w + ((o0 + i) * g.C + c) * 9;
          float t[4][3];
          for (int j = 0; j < 3; j++) {
            t[0][j] = k[j];
            t[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
            t[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
            t[3][j] = k[6 + j];
          }
          for (int r = 0; r < 4; r++) {
            v[4 * r][i] = t[r][0];
            v[4 * r + 1][i] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
            v[4 * r + 2][i] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
            v[4 * r + 3][i] = t[r][2];
          }
        }
        for (int xi = 0; xi < 16; xi++) std::memcpy(u + (xi * rt.rows + o0) * g.C + c * rows, v[xi], static_cast<size_t>(rows) * sizeof(float));
      }
    }
  });
}

/** A vector of N tiles: up to 4 pieces, each a run of tiles of one tile row (lane l of piece r is tile tx0 + l - lane0). */
struct TilePiece {
  int64_t ty, tx0, lane0;
  uint32_t bits;
  /** Output lanes to store from each half of the interleaved result (columns < OW of this piece's tiles). */
  uint32_t store[2];
};

template <int R>
SN_INLINE S::V winoLoad(const float* base, const int64_t* at, const S::M* m, int64_t off) {
  if constexpr (R == 1) {
    return S::load(base + at[0] + off);
  } else {
    S::V v = S::maskLoad(m[0], base + at[0] + off);
#pragma GCC unroll 4
    for (int r = 1; r < R; r++) v = S::maskLoadOr(v, m[r], base + at[r] + off);
    return v;
  }
}

/**
 * Input transform of channel c for NV vectors of tiles: V[xi][c][NV N] (lanes 0 .. N-1 the first vector),
 * xi planes xs floats apart (0: C NV N, packed). at[v][r]: slab offset of piece r's lane 0 (tile row 2 ty,
 * column tx0 - lane0, phase 0).
 */
template <int R, int NV>
void winoInput(const float* slab, int64_t C, int64_t phaseStride, int64_t Wq, const int64_t (*at)[4], const uint32_t (*bits)[4], float* V,
               int64_t xs = 0) {
  constexpr int64_t kPanel = NV * S::N;
  if (!xs) xs = C * kPanel;
  S::M m[NV][4];
  for (int v = 0; v < NV; v++)
    for (int r = 0; r < R; r++) m[v][r] = S::mask(bits[v][r]);
  // Two tile rows of N/2 tiles each (8x8 outputs on 8 lanes): each piece fills half a vector, loaded as
  // such with no masks (a piece past the last tile row reads the slab's start into lanes never stored).
  bool halves = R == 2;
  for (int v = 0; v < NV; v++)
    halves = halves && bits[v][0] == laneBits(0, S::N / 2) && (bits[v][1] == laneBits(S::N / 2, S::N) || bits[v][1] == 0);
  for (int64_t c = 0; c < C; c++) {
    const float* base = slab + c * 2 * phaseStride;
    for (int v = 0; v < NV; v++) {
      S::V d[4][4];
      if (R == 2 && halves) {
        const float* lo = base + at[v][0];
        const float* hi = base + at[v][1] + S::N / 2;
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
          for (int j = 0; j < 4; j++) {
            const int64_t o = (j & 1) * phaseStride + i * Wq + (j >> 1);
            d[i][j] = S::loadHalves(lo + o, hi + o);
          }
      } else {
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
          for (int j = 0; j < 4; j++) d[i][j] = winoLoad<R>(base, at[v], m[v], (j & 1) * phaseStride + i * Wq + (j >> 1));
      }
      S::V t[4][4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++) {
        t[0][j] = S::sub(d[0][j], d[2][j]);
        t[1][j] = S::add(d[1][j], d[2][j]);
        t[2][j] = S::sub(d[2][j], d[1][j]);
        t[3][j] = S::sub(d[1][j], d[3][j]);
      }
      float* out = V + c * kPanel + v * S::N;
#pragma GCC unroll 4
      for (int i = 0; i < 4; i++) {
        S::store(out + (i * 4 + 0) * xs, S::sub(t[i][0], t[i][2]));
        S::store(out + (i * 4 + 1) * xs, S::add(t[i][1], t[i][2]));
        S::store(out + (i * 4 + 2) * xs, S::sub(t[i][2], t[i][1]));
        S::store(out + (i * 4 + 3) * xs, S::sub(t[i][1], t[i][3]));
      }
    }
  }
}

/** M[xi][o0 + i][panel] = sum_c U[xi][o tile][c][i] V[xi][c][panel] for the MR channels of one tile. */
template <class T>
void winoGemm(int64_t C, const float* u, const float* V, float* M) {
  constexpr int MR = T::MR, NV = T::NV;
  S::V acc[MR][NV];
#pragma GCC unroll 24
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) acc[i][v] = S::zero();
  for (int64_t c = 0; c < C; c++) {
    S::V b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) b[v] = S::load(V + c * T::kPanel + v * S::N);
#pragma GCC unroll 24
    for (int i = 0; i < MR; i++) {
      const S::V a = S::set1(u[i]);
#pragma GCC unroll 3
      for (int v = 0; v < NV; v++) acc[i][v] = S::fma(a, b[v], acc[i][v]);
    }
    u += MR;
  }
#pragma GCC unroll 24
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) S::store(M + i * T::kPanel + v * S::N, acc[i][v]);
}

/** winoGemm for tile ot of rt: its U rows (U[xi] at u) and M rows (M[xi] at m), the narrow 4-row tile where it is one. */
template <class T>
SN_INLINE void winoGemmTile(const WinoRows& rt, int64_t ot, int64_t C, const float* u, const float* V, float* m) {
  const int64_t o0 = rt.base(ot);
  if constexpr (T::MR == 6) {
    if (rt.count(ot) == 4) {
      winoGemm<WinoTile<4, T::NV>>(C, u + o0 * C, V, m + o0 * T::kPanel);
      return;
    }
  }
  winoGemm<T>(C, u + o0 * C, V, m + o0 * T::kPanel);
}

/**
 * Output transform of channel o for NV vectors of tiles, bias, residual (the same plane of the residual,
 * or null) and relu, written into the image y (channel plane).
 */
template <int NV>
void winoOutput(const float* M, int64_t xs, const TilePiece (*pc)[4], int R, float bias, const float* res, bool relu, float* plane, int64_t OH,
                int64_t OW) {
  const S::V b = S::set1(bias), zero = S::zero();
  for (int v = 0; v < NV; v++) {
    S::V m[16];
#pragma GCC unroll 16
    for (int xi = 0; xi < 16; xi++) m[xi] = S::load(M + xi * xs + v * S::N);
    S::V s[2][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
      s[0][j] = S::add(S::add(m[j], m[4 + j]), m[8 + j]);
      s[1][j] = S::sub(S::sub(m[4 + j], m[8 + j]), m[12 + j]);
    }
    for (int a = 0; a < 2; a++) {
      const S::V y0 = S::add(S::add(S::add(s[a][0], s[a][1]), s[a][2]), b);
      const S::V y1 = S::add(S::sub(S::sub(s[a][1], s[a][2]), s[a][3]), b);
      // Output columns 2 tx and 2 tx + 1 side by side: the first half holds tiles 0 .. N/2-1, the second the rest.
      S::V half[2] = {S::zipLo(y0, y1), S::zipHi(y0, y1)};
      if (res) {
        // The residual of the lanes each piece stores, in the same interleaved order.
        for (int h = 0; h < 2; h++) {
          S::V q = zero;
          for (int r = 0; r < R; r++) {
            const TilePiece& p = pc[v][r];
            const int64_t oh = 2 * p.ty + a;
            if (!p.bits || oh >= OH || !p.store[h]) continue;
            const float* at = res + oh * OW + 2 * (p.tx0 - p.lane0) + S::N * h;
            // A piece that stores the whole half: a plain load (masked loads keep the hardware
            // prefetcher from following the residual on AVX2); no other piece has lanes there.
            q = R == 1 || p.store[h] == kAllLanes ? loadLanes(at, p.store[h]) : S::maskLoadOr(q, S::mask(p.store[h]), at);
          }
          half[h] = S::add(half[h], q);
        }
      }
      if (relu) {
        half[0] = S::max(zero, half[0]);
        half[1] = S::max(zero, half[1]);
      }
      for (int r = 0; r < R; r++) {
        const TilePiece& p = pc[v][r];
        if (!p.bits) continue;
        const int64_t oh = 2 * p.ty + a;
        if (oh >= OH) continue;
        // Interleaved lane L is output column 2 (tx0 - lane0) + L.
        const int64_t colBase = 2 * (p.tx0 - p.lane0);
        for (int h = 0; h < 2; h++) storeLanes(plane + oh * OW + colBase + S::N * h, p.store[h], half[h]);
      }
    }
  }
}

/**
 * Fetches the residual lines the output transform of a vector pair will read while its transforms and
 * GEMMs run: each channel plane of an image is one or a few pages, which the hardware prefetchers do not
 * follow from one to the next (ResNet-20 b64 16x16 32 -> 32 with a residual, AVX2: 88 -> 115 GFLOP/s).
 */
void prefetchResidual(const ConvGeom& g, const TilePiece (*pc)[4], int NV, int R, const float* res) {
  for (int64_t o = 0; o < g.O; o++)
    for (int v = 0; v < NV; v++)
      for (int r = 0; r < R; r++) {
        const TilePiece& p = pc[v][r];
        if (!p.bits) continue;
        // The piece's tiles are consecutive lanes: tiles tx0 .. tx0 + n - 1, output columns 2 tx0 .. 2 (tx0 + n) - 1.
        int64_t n = 0;
        for (uint32_t b = p.bits; b; b &= b - 1) n++;
        const float* q = res + o * g.P + 2 * p.ty * g.OW + 2 * p.tx0;
        const int64_t cols = std::min<int64_t>(g.OW - 2 * p.tx0, 2 * n);
        for (int a = 0; a < 2 && 2 * p.ty + a < g.OH; a++)
          for (int64_t c = 0; c < cols; c += 16) SN_PREFETCH(q + a * g.OW + c);
      }
}

/**
 * Pieces, slab offsets and lane bits of the NV vectors from vector s of an image's [0, v1) (vectors past v1
 * repeat the last, unused); offsets relative to a slab that starts at padded row r0 (R == 1 only: there
 * every piece, used or not, lies at or below the vector s's tile row).
 */
template <int R, int NV>
void winoPieces(const ConvGeom& g, int64_t s, int64_t v1, int64_t TH, int64_t TW, int64_t Wq, int64_t r0, TilePiece (*pc)[4], int64_t (*at)[4],
                uint32_t (*bits)[4]) {
  constexpr int64_t N = S::N;
  const int64_t segs = (TW + N - 1) / N;
  for (int v = 0; v < NV; v++) {
    const int64_t vec = std::min(s + v, v1 - 1);
    const bool used = s + v < v1;
    for (int r = 0; r < R; r++) {
      TilePiece p{0, 0, 0, 0u, {0u, 0u}};
      if (R == 1) {
        const int64_t ty = vec / segs, tx0 = (vec % segs) * N;
        const int64_t n = std::min<int64_t>(N, TW - tx0);
        p = {ty, tx0, 0, used ? laneBits(0, n) : 0u, {0u, 0u}};
      } else {
        const int64_t ty = vec * R + r;
        if (used && ty < TH) p = {ty, 0, r * TW, laneBits(r * TW, (r + 1) * TW), {0u, 0u}};
      }
      const int64_t colBase = 2 * (p.tx0 - p.lane0);
      for (int h = 0; h < 2; h++) {
        uint32_t lanes = 0;
        for (int l = 0; l < N; l++) {
          const int L = static_cast<int>(N) * h + l;
          if (((p.bits >> (L / 2)) & 1u) && colBase + L < g.OW) lanes |= 1u << l;
        }
        p.store[h] = lanes;
      }
      pc[v][r] = p;
      at[v][r] = (2 * p.ty - r0) * Wq + p.tx0 - p.lane0;
      bits[v][r] = p.bits;
    }
  }
}

template <class T, int R>
void winogradImage(const ConvGeom& g, const float* slab, int64_t Wq, int64_t r0, int64_t phaseStride, const float* u, const float* bias, const float* res,
                   bool relu, float* y, int64_t v0, int64_t v1, int64_t TH, int64_t TW, float* V, float* M) {
  constexpr int MR = T::MR, NV = T::NV;
  const WinoRows rt = winoRowTiles(MR, g.O, true);
  const int64_t xs = rt.rows * T::kPanel;
  for (int64_t s = v0; s < v1; s += NV) {
    TilePiece pc[NV][4];
    int64_t at[NV][4];
    uint32_t bits[NV][4];
    winoPieces<R, NV>(g, s, v1, TH, TW, Wq, r0, pc, at, bits);
    if (res) prefetchResidual(g, pc, NV, R, res);
    winoInput<R, NV>(slab, g.C, phaseStride, Wq, at, bits, V);
    for (int xi = 0; xi < 16; xi++) {
      for (int64_t ot = 0; ot < rt.tiles; ot++) winoGemmTile<T>(rt, ot, g.C, u + xi * rt.rows * g.C, V + xi * g.C * T::kPanel, M + xi * xs);
    }
    for (int64_t o = 0; o < g.O; o++) {
      winoOutput<NV>(M + o * T::kPanel, xs, pc, R, bias ? bias[o] : 0.f, res ? res + o * g.P : nullptr, relu, y + o * g.P, g.OH, g.OW);
    }
  }
}

/** Tile rows side by side in one vector (1 to 4) for TW tiles a row. */
int winoRows(int64_t TW) { return TW >= S::N ? 1 : static_cast<int>(std::min<int64_t>(4, S::N / TW)); }

/** Vectors of tiles per image. */
int64_t winoVectors(int64_t TH, int64_t TW) {
  const int R = winoRows(TW);
  return R == 1 ? TH * ((TW + S::N - 1) / S::N) : (TH + R - 1) / R;
}

/** One image's vectors [v0, v1) with tile T and R pieces a vector. */
template <class T>
void winogradVectors(int R, const ConvGeom& g, const float* slab, int64_t Wq, int64_t r0, int64_t phaseStride, const float* u, const float* bias,
                     const float* res, bool relu, float* y, int64_t v0, int64_t v1, int64_t TH, int64_t TW, float* V, float* M) {
  switch (R) {
    case 1: winogradImage<T, 1>(g, slab, Wq, r0, phaseStride, u, bias, res, relu, y, v0, v1, TH, TW, V, M); break;
    case 2: winogradImage<T, 2>(g, slab, Wq, r0, phaseStride, u, bias, res, relu, y, v0, v1, TH, TW, V, M); break;
    case 3: winogradImage<T, 3>(g, slab, Wq, r0, phaseStride, u, bias, res, relu, y, v0, v1, TH, TW, V, M); break;
    default: winogradImage<T, 4>(g, slab, Wq, r0, phaseStride, u, bias, res, relu, y, v0, v1, TH, TW, V, M); break;
  }
}

// The shared-filter path for a few images (winograd-shared.inl, included after this file).
template <class T>
bool winoSharedFits(const ConvGeom& g, int64_t passes);
template <class T>
void winogradSharedRows(int R, const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y,
                        ThreadPool& pool, const ConvGeom& sg, int64_t rows, int64_t TH, int64_t TW, int64_t vectors);

template <class T>
void winogradRun(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                 ThreadPool& pool) {
  constexpr int MR = T::MR, NV = T::NV;
  const FilterCache::Packed u = w.packed(layoutKey({1, g.O, g.C, MR, winoRowTiles(MR, g.O, true).narrow}), static_cast<size_t>(winogradFilterFloats(g, MR)),
                                         [&](const float* raw, float* out) { winogradFilter<MR>(g, raw, pool, out); });
  const int64_t TH = (g.OH + 1) / 2, TW = (g.OW + 1) / 2;
  const int R = winoRows(TW);
  const int64_t vectors = winoVectors(TH, TW);
  // The padded input as a stride-2 slab: tile tx's patch column j is phase j & 1, index tx + j / 2.
  ConvGeom sg = g;
  sg.SW = 2;
  const int64_t needCols = 2 * TW + 2;
  sg.PR = std::max<int64_t>(g.PR, needCols - g.W - g.PL);
  const int64_t rows = 2 * TH + 2;
  // Groups of NV vectors (one GEMM pass each) per image.
  const int64_t passes = (vectors + NV - 1) / NV;
  if (winoSharedFits<T>(g, passes)) {
    winogradSharedRows<T>(R, g, x, u->data(), bias, residual, relu, y, pool, sg, rows, TH, TW, vectors);
    return;
  }
  const int64_t chunks = g.N >= 3 * pool.size() ? 1 : std::max<int64_t>(1, std::min<int64_t>(passes, (3 * pool.size() + g.N - 1) / g.N));
  const int64_t oRows = winoRowTiles(MR, g.O, true).rows;
  pool.run(g.N * chunks, [&](int64_t t) {
    const int64_t n = t / chunks, ch = t % chunks;
    const int64_t v0 = NV * (passes * ch / chunks), v1 = std::min(vectors, NV * (passes * (ch + 1) / chunks));
    if (v0 >= v1) return;
    // One tile row a vector or less (R == 1): only the padded rows under this chunk's tile rows.
    const int64_t segs = (TW + S::N - 1) / S::N;
    const int64_t r0 = R == 1 ? 2 * (v0 / segs) : 0, taskRows = R == 1 ? 2 * ((v1 - 1) / segs) + 4 - r0 : rows;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(sg, taskRows, g.C)), kSlabSlot);
    Slab slab(sg, r0, taskRows, buffer);
    slab.fill(sg, x + n * g.C * g.H * g.W, 0, g.C);
    float* V = scratch(static_cast<size_t>(16 * g.C * T::kPanel + 16 * oRows * T::kPanel), kPanelSlot);
    float* M = V + 16 * g.C * T::kPanel;
    const float* rn = residual ? residual + n * g.O * g.P : nullptr;
    winogradVectors<T>(R, g, buffer, slab.Wq, r0, slab.phaseStride, u->data(), bias, rn, relu, y + n * g.O * g.P, v0, v1, TH, TW, V, M);
  });
}

/**
 * Whether the 4 x 3 tile (8-lane AVX2) pads less than kWinoMR x 2 for O output channels and `vectors` vectors of
 * tiles a pass run (also F(4x4, 3x3)'s and the polyphase forward's choice): channel rows padded to whole tiles
 * times vectors padded to whole passes, 4 x 3 taken only where it wastes less. Measured on AVX2 (Zen 2,
 * 1 thread, CPU time, interleaved, medians; residual fused): ResNet-20 b64 16 -> 16 at 32x32 (18 rows
 * against 16) 4.65 -> 4.40 ms, b32 3.17 -> 2.45; 32x64x32x32 -> 16 10.0 -> 6.8 ms; where 4 x 3 leaves a
 * third of a pass empty (8x8 outputs: two vectors an image) it ran 5-15% slower, hence the rule. The waste here counts
 * kWinoMR-row tiles as padded (the F(4x4, 3x3) and polyphase passes' choice); winoWideTile counts winoRowTiles' rows.
 */
bool winoWidePads(int64_t vectors, int64_t O) {
  auto waste = [&](int64_t mr, int64_t nv) { return (O + mr - 1) / mr * mr * ((vectors + nv - 1) / nv * nv); };
  return waste(4, 3) < waste(kWinoMR, 2);
}

/**
 * winoWidePads for the vectors of tiles of a winograd.inl pass (one image's), with the 6 x 2 tile's rows as winogradRun
 * runs them (winoRowTiles: 16 channels as 6 + 6 + 4, no row padded), so 16 channels at 32x32 (32 vectors, 33 in 4 x 3
 * passes) take 6 x 2. Emerald Rapids, avx2 path, isa-check --bench-only --columns forward,input --cpu-time --threads 1,
 * 8 interleaved rounds at load 10, GFLOP/s 4 x 3 -> 6 + 6 + 4 rows x 2: 32x16x32x32 -> 16 forward 126-129 -> 135-137,
 * input gradient 128-129 -> 135-137, 64x16x32x32 -> 16 128-129 -> 135-136 and 128 -> 135-136. Not measured on AMD
 * (the 4 x 3 tile's Zen 2 figures above were against 18 padded rows).
 */
bool winoWideTile(const ConvGeom& g) {
  if constexpr (S::N != 8 || kWinoMR != 6) return false;
  const int64_t vectors = winoVectors((g.OH + 1) / 2, (g.OW + 1) / 2);
  return (g.O + 3) / 4 * 4 * ((vectors + 2) / 3 * 3) < winoRowTiles(kWinoMR, g.O, true).rows * ((vectors + 1) / 2 * 2);
}

/**
 * The one-vector tile of 16 lanes (32 registers): channel rows of a pass of one vector of tiles, or 0 for
 * kWinoMR x 2. 8x8 and 7x7 outputs (4 tile rows of 4 tiles: one vector an image) left half of each
 * kWinoMR x 2 pass empty; 24 x 1 keeps as many accumulators busy, 16 x 1 pads no rows for 16, 32 and 64
 * channels. Taken where it pads less (channel rows times vectors in whole passes).
 */
int winoSingleTile(const ConvGeom& g) {
  if constexpr (S::N != 16) return 0;
  const int64_t vectors = winoVectors((g.OH + 1) / 2, (g.OW + 1) / 2);
  auto cost = [&](int64_t mr, int64_t nv, double eff) {
    return static_cast<double>((g.O + mr - 1) / mr * mr) * static_cast<double>((vectors + nv - 1) / nv * nv) / eff;
  };
  const double pair = cost(kWinoMR, 2, 1.0), wide = cost(24, 1, 1.0), narrow = cost(16, 1, 0.9);
  if (pair <= std::min(wide, narrow) + 1e-9) return 0;
  return wide <= narrow + 1e-9 ? 24 : 16;
}

void winogradForward(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                     ThreadPool& pool) {
  if constexpr (S::N == 8 && kWinoMR == 6) {
    if (winoWideTile(g)) {
      winogradRun<WinoTile<4, 3>>(g, x, w, bias, residual, relu, y, pool);
      return;
    }
  }
  if constexpr (S::N == 16) {
    switch (winoSingleTile(g)) {
      case 24: winogradRun<WinoTile<24, 1>>(g, x, w, bias, residual, relu, y, pool); return;
      case 16: winogradRun<WinoTile<16, 1>>(g, x, w, bias, residual, relu, y, pool); return;
      default: break;
    }
  }
  winogradRun<WinoTile<kWinoMR, 2>>(g, x, w, bias, residual, relu, y, pool);
}
