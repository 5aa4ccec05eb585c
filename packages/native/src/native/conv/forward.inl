// ISA fragment (see README.md): the tiled direct forward kernel, MR output channels x NV vectors of
// S::N output positions (NV = 2, or 3 for the 4-row tile on 16-register ISAs: forwardNV), filter values
// broadcast from a packed copy of the filter.

/**
 * Part of one vector of output positions: lanes `bits` come from src and go to dst (both already shifted
 * so that lane l maps to src[l], dst[l]; res[l] is the residual added to dst[l], if any). A vector holds
 * R pieces: one run of up to N columns of one output row (R = 1), or R whole rows of a narrow output side
 * by side.
 */
struct Piece {
  const float* src;
  float* dst;
  uint32_t bits;
  const float* res;
};

template <int MR, int R, int NV>
void forwardTile(int64_t K, const float* ap, const int64_t* off, const Piece* pc, int64_t ys, int mr, bool accumulate, const float* bias,
                 bool residual, bool relu) {
  using V = S::V;
  const float* s[NV][R];
  S::M m[NV][R];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++)
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      s[v][r] = pc[v * R + r].src;
      m[v][r] = S::mask(pc[v * R + r].bits);
    }
  if (residual) {
    // The residual this tile adds, fetched while it multiplies: each channel plane is one or a few pages,
    // which the hardware prefetchers do not follow from one to the next, and masked loads (pieces of
    // several rows) are not followed at all on AVX2 (ResNet-20 b32 16 -> 16 at 32x32: 38 -> 54 GFLOP/s).
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      if (i >= mr) break;
#pragma GCC unroll 4
      for (int q = 0; q < NV * R; q++)
        if (pc[q].bits) SN_PREFETCH(pc[q].res + i * ys + (q % R) * (S::N / R));
    }
  }
  V c[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      c[i][v] = S::zero();
      if (accumulate && i < mr) {
        // Partial sums of the earlier channel chunks.
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
          if (pc[v * R + r].bits) c[i][v] = S::maskLoadOr(c[i][v], m[v][r], pc[v * R + r].dst + i * ys);
      }
    }
  }
  for (int64_t k = 0; k < K; k++) {
    const int64_t o = off[k];
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      if constexpr (R == 1) {
        // Whole-vector loads: lanes past the row read padding or the next row, and are never stored.
        b[v] = S::load(s[v][0] + o);
      } else {
        b[v] = S::maskLoad(m[v][0], s[v][0] + o);
#pragma GCC unroll 4
        for (int r = 1; r < R; r++) b[v] = S::maskLoadOr(b[v], m[v][r], s[v][r] + o);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V a = S::set1(ap[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) c[i][v] = S::fma(a, b[v], c[i][v]);
    }
    ap += MR;
  }
  const V zero = S::zero();
  if constexpr (R == 1) {
    // Destinations and lanes in locals (the output might alias pc, so the compiler re-read them after every
    // store), and whole tiles (every channel and lane stored) as blocks with plain stores: on AVX2 (1 thread,
    // CPU time, medians of 6 interleaved rounds at load 10-12) 32x16x32x32 -> 16 forward 68 -> 72 GFLOP/s,
    // its input gradient (the same kernel) 70 -> 75, 2x64x56x56 -> 128 s2 input gradient 59 -> 66.
    float* dst[NV];
    const float* rs[NV];
    bool whole = mr == MR;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      dst[v] = pc[v].dst;
      rs[v] = pc[v].res;
      whole = whole && pc[v].bits == kAllLanes;
    }
    if (whole) {
      if (bias)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
          const V b = S::set1(bias[i]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) c[i][v] = S::add(c[i][v], b);
        }
      if (residual)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) c[i][v] = S::add(c[i][v], S::load(rs[v] + i * ys));
      if (relu)
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) c[i][v] = S::max(zero, c[i][v]);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) S::store(dst[v] + i * ys, c[i][v]);
      return;
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      V rv = c[i][v];
      if (bias) rv = S::add(rv, S::set1(bias[i]));
      if (residual) {
        // The shortcut of each piece's lanes, gathered like the partial sums above.
        V q = zero;
        if constexpr (R == 1) {
          // A plain load for a whole vector (see the prefetch above).
          q = loadLanes(pc[v].res + i * ys, pc[v].bits);
        } else {
#pragma GCC unroll 4
          for (int r = 0; r < R; r++)
            if (pc[v * R + r].bits) q = S::maskLoadOr(q, m[v][r], pc[v * R + r].res + i * ys);
        }
        rv = S::add(rv, q);
      }
      // max(0, v) returns v when v is NaN (the second operand), like the reference.
      if (relu) rv = S::max(zero, rv);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) storeLanes(pc[v * R + r].dst + i * ys, pc[v * R + r].bits, rv);
    }
  }
}

using ForwardTileFn = void (*)(int64_t, const float*, const int64_t*, const Piece*, int64_t, int, bool, const float*, bool, bool);

/**
 * Vectors of output positions per tile for MR output channels: 2, and 3 for the 4-row tile on 16-register
 * ISAs (AVX2, portable), where 4 x 3 accumulators fill the registers like 6 x 2 do, so 16-, 32- and 64-channel
 * layers need no padded filter rows (6 x 2 ran them with 18, 36 and 66 rows).
 */
constexpr int forwardNV(int MR) { return MR == 4 && S::kMaxMR == 6 ? 3 : 2; }

/** The most vectors a tile takes (sizes the piece arrays). */
constexpr int kMaxNV = 3;

/**
 * Whether rowsPerVector can give 3 (min(4, N / OW) == 3 for some OW: N / (N / 3) == 3). Only on 16 lanes (5-column
 * outputs); on 4 and 8 lanes N / OW skips 3 (4, 2, 1 and 8, 4, 2, 1), so their 3-row tiles are not compiled
 * (a fifth of the tiles' code; see the README, "Developing").
 */
constexpr bool kThreeRowTiles = S::N / (S::N / 3) == 3;

template <int MR>
ForwardTileFn forwardTileForR(int R) {
  constexpr int NV = forwardNV(MR);
  switch (R) {
    case 1:
      return forwardTile<MR, 1, NV>;
    case 2:
      return forwardTile<MR, 2, NV>;
    case 3:
      if constexpr (kThreeRowTiles) return forwardTile<MR, 3, NV>;
      return nullptr;  // not reached (kThreeRowTiles)
    default:
      return forwardTile<MR, 4, NV>;
  }
}

ForwardTileFn forwardTileFor(int mr, int R) {
  switch (mr) {
    case 1:
      return forwardTileForR<1>(R);
    case 2:
      return forwardTileForR<2>(R);
    case 4:
      return forwardTileForR<4>(R);
    case 6:
      return forwardTileForR<6>(R);
    case 8:
      if constexpr (S::kMaxMR >= 8) return forwardTileForR<8>(R);
      break;
    case 12:
      if constexpr (S::kMaxMR >= 12) return forwardTileForR<12>(R);
      break;
    default:
      break;
  }
  return forwardTileForR<S::kMaxMR>(R);
}

/**
 * Output-channel tile height: the fewest padded rows, weighed by how well each tile keeps the FMA units
 * busy. wideTiles: the kernel has forwardNV's 4 x 3 tile (the single-channel kernel has only MR x 2).
 */
int pickForwardMR(const ConvGeom& g, bool wideTiles = true) {
  const int64_t Og = g.Og;
  // Depthwise-like layers (1-2 output channels per group) take the 1- and 2-row tiles.
  if (Og <= 2) return static_cast<int>(Og);
  // Relative throughput of each tile height against the ISA's largest (fewer rows reuse each load less).
  // The 4 x 3 tile of 16-register ISAs keeps as many accumulators busy as 6 x 2. Measured on AVX2 (Zen 2,
  // 1 thread, CPU time, 3 interleaved rounds, medians) on stride-1 layers it beats 6 x 2 where that pads
  // filter rows (ResNet-20 b32 3x3 at 32x32, 16 -> 16: 71 -> 73-74 GFLOP/s; 16x16, 32 -> 32: 76-79 -> 83-84), and
  // is a little slower otherwise, so ties stay with 6; on stride-2 layers it ran slower even against the
  // padded rows (64x16x32x32 -> 32: 69 -> 64; 64x32x16x16 -> 64: 81 -> 66), so strided layers keep 6 x 2.
  const bool wideFour = wideTiles && forwardNV(4) == 3 && g.SH == 1 && g.SW == 1;
  const int sizes[4] = {4, 6, 8, 12};
  const double eff[4] = {wideFour ? 0.97 * 0.85 : 0.6, 0.85, 0.93, 1.0};
  int top = 0;
  while (top < 3 && sizes[top + 1] <= S::kMaxMR) top++;
  int best = sizes[top];
  double bestCost = 1e300;
  for (int s = 0; s <= top; s++) {
    const double e = eff[s] / eff[top];
    const double cost = static_cast<double>((Og + sizes[s] - 1) / sizes[s] * sizes[s]) / e;
    if (cost < bestCost - 1e-9) {
      bestCost = cost;
      best = sizes[s];
    }
  }
  return best;
}

/** Floats of the packed filter of the tiled kernel. */
int64_t packedFilterFloats(const ConvGeom& g, int MR) { return g.G * ((g.Og + MR - 1) / MR) * g.Kdim * MR; }

/** w[grp][o][k] -> ap[grp][tile][k][MR], rows past Og zero. */
void packFilter(const ConvGeom& g, const float* w, int MR, float* ap) {
  const int64_t tiles = (g.Og + MR - 1) / MR;
  std::memset(ap, 0, static_cast<size_t>(packedFilterFloats(g, MR)) * sizeof(float));
  for (int64_t grp = 0; grp < g.G; grp++) {
    for (int64_t t = 0; t < tiles; t++) {
      // One tile at a time, k outer: the writes run along the packed rows.
      float* dst = ap + (grp * tiles + t) * g.Kdim * MR;
      const int64_t o0 = t * MR, on = std::min<int64_t>(MR, g.Og - o0);
      for (int64_t k = 0; k < g.Kdim; k++)
        for (int64_t i = 0; i < on; i++) dst[k * MR + i] = w[(grp * g.Og + o0 + i) * g.Kdim + k];
    }
  }
}

/** Bands of output rows per image so that there are enough tasks for the pool. */
int64_t rowBands(const ConvGeom& g, int threads) {
  if (threads <= 1 || g.N % threads == 0 || g.N >= 3 * threads) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(g.OH, (3 * threads + g.N - 1) / g.N));
}

/** Whole output rows side by side in one vector (1 to 4): narrow outputs would leave most lanes idle. */
int rowsPerVector(const ConvGeom& g) { return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(4, S::N / g.OW))); }

void forwardTiled(const ConvGeom& g, const float* x, const float* ap, int MR, const float* bias, const float* residual, bool relu, float* y,
                  ThreadPool& pool) {
  constexpr int64_t N = S::N;
  const int R = rowsPerVector(g);
  const ForwardTileFn tile = forwardTileFor(MR, R);
  const int NV = forwardNV(MR);
  const int64_t tilesM = (g.Og + MR - 1) / MR;
  const int64_t bands = rowBands(g, pool.size());
  const int64_t segsPerRow = (g.OW + N - 1) / N;
  // Output-channel tiles per block: the block's packed filter stays in L2 while the positions stream past.
  const int64_t tilesPerBlock = std::max<int64_t>(1, (192 << 10) / (g.Kdim * MR * 4));
  // Input channels per chunk: the slab rows one tile reads for a chunk stay in L1 (24 KiB) while every
  // output-channel tile of the block reuses them; partial sums go through the output between chunks.
  // Strided layers on 8 lanes take 16 KiB: their vector pairs touch every phase of each row, and on AVX2
  // (Zen 3, 32 KiB L1) 16 KiB measured 5-10% faster on ResNet's 3x3 stride-2 layers (8x64x56x56 -> 128:
  // 62 -> 67 GFLOP/s, 1 thread), even on its stride-1 layers, and slower from 12 KiB down.
  const int64_t l1Bytes = (g.SW > 1 && S::N == 8 ? 16 : 24) << 10;
  const int64_t bytesPerChannel = ((g.KH - 1) * g.DH + 1) * g.SW * ((g.W + g.PL + g.PR + g.SW - 1) / g.SW) * 4;
  const int64_t chunkChannels = std::max<int64_t>(1, std::min<int64_t>(g.Cg, l1Bytes / std::max<int64_t>(1, bytesPerChannel)));
  const int64_t khw = g.KH * g.KW;
  // Vectors of output positions per image and band.
  const int64_t bandRows = (g.OH + bands - 1) / bands;
  const int64_t perImage = R == 1 ? bandRows * segsPerRow : (bandRows + R - 1) / R;
  // Small outputs: several images per task, so vector pairs (and tiles) are not left half empty.
  int64_t images = 1;
  if (bands == 1 && perImage < 16) {
    images = std::min<int64_t>((16 + perImage - 1) / perImage, std::max<int64_t>(1, g.N / (2 * pool.size())));
  }
  const int64_t groups = (g.N + images - 1) / images;
  pool.run(groups * bands, [&](int64_t t) {
    const int64_t n0 = (t / bands) * images, n1 = std::min(g.N, n0 + images), band = t % bands;
    const int64_t oh0 = g.OH * band / bands, oh1 = g.OH * (band + 1) / bands;
    if (oh0 >= oh1) return;
    const int64_t r0 = oh0 * g.SH;
    const int64_t rows = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1 - r0;
    const int64_t slabFloats = Slab::floats(g, rows, g.Cg);
    float* buffer = scratch(static_cast<size_t>(slabFloats * (n1 - n0)), kSlabSlot);
    std::vector<int64_t> off(static_cast<size_t>(g.Kdim));
    const int64_t perBand = R == 1 ? (oh1 - oh0) * segsPerRow : (oh1 - oh0 + R - 1) / R;
    const int64_t vectors = perBand * (n1 - n0);
    // Where each vector of a band reads and writes, relative to its image's slab and output plane: the same
    // for every image, so worked out once per task rather than with divisions per vector pair.
    const int64_t Wq = Slab(g, r0, rows, buffer).Wq;
    std::vector<int64_t> srcAt(static_cast<size_t>(perBand * R)), dstAt(static_cast<size_t>(perBand * R));
    std::vector<uint32_t> laneAt(static_cast<size_t>(perBand * R));
    for (int64_t vec = 0; vec < perBand; vec++) {
      for (int r = 0; r < R; r++) {
        const size_t i = static_cast<size_t>(vec * R + r);
        if (R == 1) {
          const int64_t oh = oh0 + vec / segsPerRow, ow0 = (vec % segsPerRow) * N;
          srcAt[i] = (oh * g.SH - r0) * Wq + ow0;
          dstAt[i] = oh * g.OW + ow0;
          laneAt[i] = laneBits(0, std::min(N, g.OW - ow0));
          continue;
        }
        const int64_t oh = oh0 + vec * R + r;
        if (oh >= oh1) {
          srcAt[i] = dstAt[i] = 0;
          laneAt[i] = 0;
          continue;
        }
        // Shifted so that lane r * OW + j reads column j of row oh (and writes it).
        srcAt[i] = (oh * g.SH - r0) * Wq - r * g.OW;
        dstAt[i] = oh * g.OW - r * g.OW;
        laneAt[i] = laneBits(r * g.OW, (r + 1) * g.OW);
      }
    }
    for (int64_t grp = 0; grp < g.G; grp++) {
      Slab slab(g, r0, rows, buffer);
      for (int64_t n = n0; n < n1; n++) {
        Slab(g, r0, rows, buffer + (n - n0) * slabFloats).fill(g, x + n * g.C * g.H * g.W, grp * g.Cg, g.Cg, true);
      }
      for (int64_t c = 0, k = 0; c < g.Cg; c++)
        for (int64_t kh = 0; kh < g.KH; kh++)
          for (int64_t kw = 0; kw < g.KW; kw++) off[static_cast<size_t>(k++)] = slab.tap(g, c, kh, kw);
      for (int64_t mb = 0; mb < tilesM; mb += tilesPerBlock) {
        const int64_t me = std::min(tilesM, mb + tilesPerBlock);
        // (image, vector) of the pair's first vector, advanced without dividing.
        int64_t img = 0, vec = 0;
        for (int64_t s = 0; s < vectors; s += NV) {
          Piece pc[kMaxNV * 4];
          int64_t vi = img, vv = vec;
          for (int v = 0; v < NV; v++) {
            // A tile's missing last vectors repeat the first one's addresses (loads stay in the slab) with no lanes.
            const bool used = s + v < vectors;
            const int64_t pi = used ? vi : img, pv = used ? vv : vec;
            const float* base = buffer + pi * slabFloats;
            const int64_t yAt = ((n0 + pi) * g.O + grp * g.Og) * g.P;
            float* yg = y + yAt;
            const float* rg = residual ? residual + yAt : nullptr;
            for (int r = 0; r < R; r++) {
              const size_t i = static_cast<size_t>(pv * R + r);
              pc[v * R + r] = {base + srcAt[i], yg + dstAt[i], used ? laneAt[i] : 0u, rg ? rg + dstAt[i] : nullptr};
            }
            if (used && ++vv == perBand) {
              vv = 0;
              vi++;
            }
          }
          img = vi;
          vec = vv;
          for (int64_t c0 = 0; c0 < g.Cg; c0 += chunkChannels) {
            const int64_t c1 = std::min(g.Cg, c0 + chunkChannels);
            const bool last = c1 == g.Cg;
            for (int64_t mt = mb; mt < me; mt++) {
              const int64_t o0 = mt * MR;
              const int mr = static_cast<int>(std::min<int64_t>(MR, g.Og - o0));
              Piece shifted[kMaxNV * 4];
              for (int q = 0; q < NV * R; q++) shifted[q] = {pc[q].src, pc[q].dst + o0 * g.P, pc[q].bits, pc[q].res ? pc[q].res + o0 * g.P : nullptr};
              tile((c1 - c0) * khw, ap + ((grp * tilesM + mt) * g.Kdim + c0 * khw) * MR, off.data() + c0 * khw, shifted, g.P, mr, c0 > 0,
                   last && bias ? bias + grp * g.Og + o0 : nullptr, last && residual, last && relu);
            }
          }
        }
      }
    }
  });
}
