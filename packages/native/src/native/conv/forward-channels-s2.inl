// ISA fragment (see README.md): the channel-lane forward of filters 3 taps wide at column stride 2 (ResNet's
// 3x3 stride-2 layers). Column tap 0 of output column j reads slab column 2j, tap 2 reads 2j + 2: the same
// column phase one output column on. A tile of MP consecutive output columns of one row therefore
// broadcasts each (channel, filter row)'s phase-0 values j .. j + MP once for both taps, and its phase-1
// values j .. j + MP - 1 for tap 1: 2 MP + 1 broadcasts for 6 MP multiply-adds, where the tile of
// forward-channels.inl takes 3 MP. Same packed filter (channel panels of 2N) and driver.

/**
 * The wider of the two row tiles (the other is one column narrower): 2 x 8 sums, the two taps' filter
 * vectors (4) and a broadcast take 21 of 32 registers; 8 and 7 split 7-, 8-, 14-, 16- and 28-column rows
 * into whole tiles.
 */
constexpr int kPairMP = 8;

/**
 * Whether the kernel applies: 32 vector registers (AVX-512, NEON), 3 taps wide, column stride 2, no column
 * dilation, rows of a tile or more. With 16 registers (AVX2) the tile fits only at 2 x 5 and 2 x 4, whose
 * sums take three dependent multiply-adds per filter row and which GCC compiled with a spilled sum: on
 * AVX2 (Zen 4, 1 thread, CPU time) 8x64x56x56 -> 128 s2 ran 96 -> 77 GFLOP/s (2 x 4 alone: 93 -> 89), so
 * AVX2 keeps the 6-position tile of forward-channels.inl.
 */
constexpr bool kPairedChannels = S::kFilterMR >= 12;
bool pairedChannelsFits(const ConvGeom& g) { return kPairedChannels && g.SW == 2 && g.KW == 3 && g.DW == 1 && g.OW >= kPairMP - 1; }

/**
 * Widths of the tiles that cover a row of OW columns: kPairMP or kPairMP - 1 columns each, the fewest
 * computed columns (every OW from (kPairMP - 1)(kPairMP - 2) on is a sum of the two), then the fewest tiles;
 * the last tile may run past the row (those columns are computed, not stored).
 */
std::vector<int> pairedRowTiles(int64_t OW) {
  constexpr int64_t hi = kPairMP, lo = kPairMP - 1;
  int64_t bestA = 0, bestB = 0, bestCols = std::numeric_limits<int64_t>::max();
  for (int64_t b = 0; b <= hi; b++) {
    const int64_t a = std::max<int64_t>(0, (OW - b * lo + hi - 1) / hi);
    const int64_t cols = a * hi + b * lo;
    if (cols < OW) continue;
    if (cols < bestCols || (cols == bestCols && a + b < bestA + bestB)) {
      bestA = a;
      bestB = b;
      bestCols = cols;
    }
  }
  std::vector<int> widths(static_cast<size_t>(bestA), kPairMP);
  widths.insert(widths.end(), static_cast<size_t>(bestB), kPairMP - 1);
  return widths;
}

/**
 * MP consecutive output columns (slab pointer src of the first, phase 0) x 2N channels over rowsK
 * (channel, filter row) pairs, whose phase-0 slab offsets are off[3 r]; phase 1 lies `phase` floats on.
 */
template <int MP>
void pairedChannelTile(int64_t rowsK, const float* wp, const int64_t* off, const float* src, int64_t phase, float* const* dst,
                       const float* const* res, int np, int nc, int64_t P, const float* bias, bool relu, bool room) {
  S::V c0[MP], c1[MP];
#pragma GCC unroll 16
  for (int i = 0; i < MP; i++) {
    c0[i] = S::zero();
    c1[i] = S::zero();
  }
  for (int64_t r = 0; r < rowsK; r++) {
    const float* q = src + off[3 * r];
    {
      // Tap 1: phase 1, columns j .. j + MP - 1.
      const float* q1 = q + phase;
      const S::V w0 = S::load(wp + kChanPanel), w1 = S::load(wp + kChanPanel + S::N);
#pragma GCC unroll 16
      for (int i = 0; i < MP; i++) {
        const S::V a = S::set1(q1[i]);
        c0[i] = S::fma(a, w0, c0[i]);
        c1[i] = S::fma(a, w1, c1[i]);
      }
    }
    // Taps 0 and 2: phase-0 column j + i is tap 0 of output i and tap 2 of output i - 1.
    const S::V u0 = S::load(wp), u1 = S::load(wp + S::N), v0 = S::load(wp + 2 * kChanPanel), v1 = S::load(wp + 2 * kChanPanel + S::N);
#pragma GCC unroll 16
    for (int i = 0; i <= MP; i++) {
      const S::V a = S::set1(q[i]);
      if (i < MP) {
        c0[i] = S::fma(a, u0, c0[i]);
        c1[i] = S::fma(a, u1, c1[i]);
      }
      if (i > 0) {
        c0[i - 1] = S::fma(a, v0, c0[i - 1]);
        c1[i - 1] = S::fma(a, v1, c1[i - 1]);
      }
    }
    wp += 3 * kChanPanel;
  }
  finishChannelTile<MP>(c0, c1, dst, res, np, nc, P, bias, relu, room);
}

void forwardChannelsS2(const ConvGeom& g, const float* x, const float* wp, const float* bias, const float* residual, bool relu, float* y,
                       ThreadPool& pool) {
  constexpr int MP = kPairMP;
  const std::vector<int> widths = pairedRowTiles(g.OW);
  const int64_t rowsK = g.Cg * g.KH;
  channelLaneForward(g, x, wp, bias, residual, y, pool, [&](const ChannelPanel& cp) {
    const int64_t pEnd = cp.oh1 * g.OW;
    for (int64_t oh = cp.oh0; oh < cp.oh1; oh++) {
      int64_t ow = 0;
      for (const int width : widths) {
        const int64_t p0 = oh * g.OW + ow;
        const int np = static_cast<int>(std::min<int64_t>(width, g.OW - ow));
        float* dst[MP];
        const float* res[MP];
        for (int i = 0; i < MP; i++) {
          // Columns past the row repeat its last one (computed, not stored).
          const int64_t p = p0 + std::min(i, np - 1);
          dst[i] = cp.y + p;
          res[i] = cp.res ? cp.res + p : nullptr;
        }
        const float* src = cp.slab + (cp.posAt[p0] - cp.r0Off);
        const bool room = p0 + S::N <= pEnd;
        if (width == MP) {
          pairedChannelTile<MP>(rowsK, cp.w, cp.off, src, cp.phaseStride, dst, cp.res ? res : nullptr, np, cp.nc, g.P, cp.bias, relu, room);
        } else {
          pairedChannelTile<MP - 1>(rowsK, cp.w, cp.off, src, cp.phaseStride, dst, cp.res ? res : nullptr, np, cp.nc, g.P, cp.bias, relu, room);
        }
        ow += width;
      }
    }
  });
}

/**
 * Where the kernel runs though the position tiles of forward.inl would otherwise: on 16 lanes, channels
 * that fill whole panels of 32 and rows that do not fill whole vectors (the position tiles leave 2-4 of 16
 * lanes idle on 28- and 14-column rows, and mask 8-column ones). AVX-512 on Zen 4, 1 thread, CPU time,
 * GFLOP/s position tiles -> this kernel: 8x64x56x56 -> 128 s2 89 -> 102, 2x128x28x28 -> 256 82 -> 105,
 * 2x256x14x14 -> 512 64 -> 101, 64x32x16x16 -> 64 81 -> 87; on 16-column rows the position tiles stay
 * ahead (64x16x32x32 -> 32: 96 against 85).
 */
bool pairedChannelsPay(const ConvGeom& g) { return S::N == 16 && pairedChannelsFits(g) && g.Og % kChanPanel == 0 && g.OW % S::N != 0; }
