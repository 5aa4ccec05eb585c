// ISA fragment (see README.md): the input gradient. Stride 1: the forward kernel on dy with the filter
// flipped in space and its channels swapped. Stride 2 along the row: a register tile of
// both column phases of dx rows, zipped on store. Other strides: one stride-1 forward convolution per
// stride phase of dx, over only the taps that reach that phase, scattered into dx.

/**
 * The input-gradient filter out[grp][c][o][j][i] = w[grp][o][c][khs[j]][kws[i]]: input and output
 * channels swapped, taps picked (and flipped) by khs, kws. Blocks of kSwapBlock input channels, so that
 * the reads run along w's rows and the block's output rows stay in L1 (a channel-by-channel transpose
 * of a 512x256x3x3 filter, rows 9 KiB apart, took as long as the strided input gradient's multiply-adds
 * in training, where each step repacks).
 */
void swapFilterTaps(const ConvGeom& g, const float* w, const std::vector<int64_t>& khs, const std::vector<int64_t>& kws, float* out) {
  constexpr int64_t kSwapBlock = 8;
  const int64_t th = static_cast<int64_t>(khs.size()), tw = static_cast<int64_t>(kws.size()), taps = th * tw;
  for (int64_t grp = 0; grp < g.G; grp++)
    for (int64_t c0 = 0; c0 < g.Cg; c0 += kSwapBlock) {
      const int64_t c1 = std::min(g.Cg, c0 + kSwapBlock);
      for (int64_t o = 0; o < g.Og; o++) {
        const float* src = w + ((grp * g.Og + o) * g.Cg) * g.KH * g.KW;
        for (int64_t c = c0; c < c1; c++) {
          const float* sc = src + c * g.KH * g.KW;
          float* dst = out + ((grp * g.Cg + c) * g.Og + o) * taps;
          for (int64_t j = 0; j < th; j++)
            for (int64_t i = 0; i < tw; i++) dst[j * tw + i] = sc[khs[static_cast<size_t>(j)] * g.KW + kws[static_cast<size_t>(i)]];
        }
      }
    }
}

/**
 * Strided input gradient, one stride phase (ph, pw) of dx at a time: the rows ih = ph + SH q and columns
 * iw = pw + SW r of dx only receive the taps kh with (ph + PT - kh DH) divisible by SH (likewise kw), from
 * dy row q + (ph + PT - kh DH) / SH. That is a stride-1 convolution of dy with those taps (flipped,
 * channels swapped), padding or cropping dy at the edges; its output is scattered into dx.
 */
void backpropInputStrided(const ConvGeom& g, const float* dy, const FilterRef& filter, float* dx, ThreadPool& pool) {
  std::vector<int64_t> khs, dh, kws, dw;
  for (int64_t ph = 0; ph < g.SH; ph++) {
    const int64_t Hq = ph < g.H ? (g.H - ph + g.SH - 1) / g.SH : 0;
    if (Hq == 0) continue;
    // Stride 2 along the row: both column phases are kept and zipped into whole dx rows with vector
    // interleaves, instead of two passes of scalar stores two floats apart.
    const bool pairCols = g.SW == 2 && g.W >= 2;
    const int64_t Wr0 = (g.W + 1) / 2, Wr1 = g.W / 2;
    const int64_t planes = g.N * g.C;
    float* pairBuf = pairCols ? scratch(static_cast<size_t>(planes * Hq * (Wr0 + Wr1)), kPhaseSlot) : nullptr;
    for (int64_t pw = 0; pw < g.SW; pw++) {
      const int64_t Wr = pw < g.W ? (g.W - pw + g.SW - 1) / g.SW : 0;
      if (Wr == 0) continue;
      float* pairOut = pairCols ? pairBuf + (pw == 0 ? 0 : planes * Hq * Wr0) : nullptr;
      phaseTaps(ph, g.PT, g.KH, g.DH, g.SH, khs, dh);
      phaseTaps(pw, g.PL, g.KW, g.DW, g.SW, kws, dw);
      if ((khs.empty() || kws.empty()) && pairCols) {
        std::memset(pairOut, 0, static_cast<size_t>(planes * Hq * Wr) * sizeof(float));
        continue;
      }
      if (khs.empty() || kws.empty()) {
        // No tap reaches this phase: its dx is zero.
        pool.parallelFor(g.N * g.C, 16, [&](int64_t b, int64_t e) {
          for (int64_t pl = b; pl < e; pl++)
            for (int64_t q = 0; q < Hq; q++)
              for (int64_t r = 0; r < Wr; r++) dx[pl * g.H * g.W + (ph + g.SH * q) * g.W + pw + g.SW * r] = 0.f;
        });
        continue;
      }
      ConvGeom t = g;
      t.C = g.O;
      t.H = g.OH;
      t.W = g.OW;
      t.O = g.C;
      t.OH = Hq;
      t.OW = Wr;
      t.KH = static_cast<int64_t>(khs.size());
      t.KW = static_cast<int64_t>(kws.size());
      t.SH = t.SW = 1;
      t.DH = t.KH > 1 ? dh[1] - dh[0] : 1;
      t.DW = t.KW > 1 ? dw[1] - dw[0] : 1;
      t.PT = -dh.front();
      t.PB = Hq + dh.back() - g.OH;
      t.PL = -dw.front();
      t.PR = Wr + dw.back() - g.OW;
      t.Cg = g.Og;
      t.Og = g.Cg;
      t.Kdim = g.Og * t.KH * t.KW;
      t.P = Hq * Wr;
      // The phase's taps, flipped, channels swapped: made only when its packed form is not cached.
      std::vector<float> flipped;
      const FilterRef phase = filter.derived(layoutKey({3, ph, pw}), [&]() -> const float* {
        flipped.resize(static_cast<size_t>(g.G * g.Cg * t.Kdim));
        swapFilterTaps(g, filter.weights(), khs, kws, flipped.data());
        return flipped.data();
      });
      // Kept across calls: fresh pages cost a fault each.
      float* tmp = pairCols ? pairOut : scratch(static_cast<size_t>(g.N * g.C * t.P), kPhaseSlot);
      forwardConv(t, dy, phase, nullptr, nullptr, false, tmp, pool);
      if (pairCols) continue;
      pool.parallelFor(g.N * g.C, 16, [&](int64_t b, int64_t e) {
        for (int64_t pl = b; pl < e; pl++) {
          const float* src = tmp + pl * t.P;
          float* plane = dx + pl * g.H * g.W;
          for (int64_t q = 0; q < Hq; q++) {
            float* row = plane + (ph + g.SH * q) * g.W + pw;
            for (int64_t r = 0; r < Wr; r++) row[g.SW * r] = src[q * Wr + r];
          }
        }
      });
    }
    if (!pairCols) continue;
    const float* odd = pairBuf + planes * Hq * Wr0;
    pool.parallelFor(planes, 16, [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; pl++) {
        for (int64_t q = 0; q < Hq; q++) {
          float* row = dx + pl * g.H * g.W + (ph + g.SH * q) * g.W;
          const float* a = pairBuf + (pl * Hq + q) * Wr0;
          const float* c = odd + (pl * Hq + q) * Wr1;
          int64_t r = 0;
          for (; r + S::N <= Wr1; r += S::N) {
            const S::V va = S::load(a + r), vc = S::load(c + r);
            S::store(row + 2 * r, S::zipLo(va, vc));
            S::store(row + 2 * r + S::N, S::zipHi(va, vc));
          }
          for (; r < Wr1; r++) {
            row[2 * r] = a[r];
            row[2 * r + 1] = c[r];
          }
          if (Wr0 > Wr1) row[2 * Wr1] = a[Wr1];
        }
      }
    });
  }
}

// Stride 2 along the row: both column phases of a dx row in one register tile, from one padded copy of dy
// per image, zipped into whole dx rows on store. The per-phase path above runs each phase as its own
// convolution (each copying dy, with the short multiply-add runs of one or two taps) and zips the phases
// in a second pass; on AVX2 ResNet's 3x3 stride-2 input gradients ran at 35-45% of the FMA peak that way,
// and on AVX-512 (Zen 4, 1 thread, CPU time, interleaved rounds at load ~15) 64x16x32x32 -> 32 ran at
// 51-54 GFLOP/s against 82-90 paired, 32x96x32x32 -> 96 at 79-80 against 95, and ResNet-18's stem
// 2x3x224x224 7x7/2 (which took the GEMM fallback there) now runs at 94 (81% of the FMA peak).
bool pairedFits(const ConvGeom& g) { return g.SW == 2 && g.G == 1 && g.W >= 2; }

/** The taps of one row phase ph of dx: for each tile of MR dx channels, K0 multiply-adds for the even columns, K1 for the odd. */
struct RowPhase {
  int64_t Hq = 0, K0 = 0, K1 = 0;
  /** Taps per dy channel: K0 = O T0, K1 = O T1 (the taps run dy channel by channel, so a channel chunk is a run of them). */
  int64_t T0 = 0, T1 = 0;
  /** dy rows one dx row of the phase reads. */
  int64_t span = 0;
  std::vector<int64_t> khs, dh, off0, off1;
  /** Where its tiles start in the packed filter. */
  int64_t packAt = 0;
};

/** How dx's row phases, dy's padded copy and the packed filter of the paired-column input gradient lie. */
struct PairPlan {
  int MR;
  int64_t tiles, Wr0, Wr1, slabRows, packFloats;
  std::vector<int64_t> kws0, dw0, kws1, dw1;
  std::vector<RowPhase> rows;
  ConvGeom sg;  // dy as the slab sees it: O channels of OH x OW, padded so that every tap's reads land inside
};

PairPlan pairPlan(const ConvGeom& g, int MR) {
  PairPlan pp;
  pp.MR = MR;
  pp.tiles = (g.C + MR - 1) / MR;
  pp.Wr0 = (g.W + 1) / 2;
  pp.Wr1 = g.W / 2;
  phaseTaps(0, g.PL, g.KW, g.DW, 2, pp.kws0, pp.dw0);
  phaseTaps(1, g.PL, g.KW, g.DW, 2, pp.kws1, pp.dw1);
  int64_t padT = 0, padB = 0, padL = 0, padR = 0;
  if (!pp.dw0.empty()) {
    padL = std::max(padL, -pp.dw0.front());
    padR = std::max(padR, pp.Wr0 - 1 + pp.dw0.back() - (g.OW - 1));
  }
  if (!pp.dw1.empty() && pp.Wr1 > 0) {
    padL = std::max(padL, -pp.dw1.front());
    padR = std::max(padR, pp.Wr1 - 1 + pp.dw1.back() - (g.OW - 1));
  }
  pp.rows.resize(static_cast<size_t>(g.SH));
  for (int64_t ph = 0; ph < g.SH; ph++) {
    RowPhase& rp = pp.rows[static_cast<size_t>(ph)];
    rp.Hq = ph < g.H ? (g.H - ph + g.SH - 1) / g.SH : 0;
    phaseTaps(ph, g.PT, g.KH, g.DH, g.SH, rp.khs, rp.dh);
    if (rp.khs.empty() || rp.Hq == 0) continue;
    padT = std::max(padT, -rp.dh.front());
    padB = std::max(padB, rp.Hq - 1 + rp.dh.back() - (g.OH - 1));
    rp.span = rp.dh.back() - rp.dh.front() + 1;
    rp.T0 = static_cast<int64_t>(rp.khs.size() * pp.kws0.size());
    rp.T1 = pp.Wr1 > 0 ? static_cast<int64_t>(rp.khs.size() * pp.kws1.size()) : 0;
    rp.K0 = g.O * rp.T0;
    rp.K1 = g.O * rp.T1;
  }
  ConvGeom& sg = pp.sg;
  sg = g;
  sg.C = g.O;
  sg.H = g.OH;
  sg.W = g.OW;
  sg.SH = sg.SW = 1;
  sg.PT = padT;
  sg.PB = padB;
  sg.PL = padL;
  sg.PR = padR;
  pp.slabRows = g.OH + padT + padB;
  const Slab slab(sg, 0, pp.slabRows, nullptr);
  int64_t at = 0;
  for (RowPhase& rp : pp.rows) {
    rp.packAt = at;
    at += pp.tiles * (rp.K0 + rp.K1) * MR;
    for (int pw = 0; pw < 2; pw++) {
      const std::vector<int64_t>& dw = pw == 0 ? pp.dw0 : pp.dw1;
      std::vector<int64_t>& off = pw == 0 ? rp.off0 : rp.off1;
      if ((pw == 0 ? rp.K0 : rp.K1) == 0) continue;
      for (int64_t o = 0; o < g.O; o++)
        for (int64_t d : rp.dh)
          for (int64_t e : dw) off.push_back(o * slab.chanStride + (d + padT) * slab.Wq + e + padL);
    }
  }
  pp.packFloats = at;
  return pp;
}

/**
 * w[o][c][kh][kw] -> per row phase and tile of MR dx channels: [K0][MR] even-column taps, then [K1][MR] odd; rows past C zero.
 * Blocks of dy channels whose filter rows stay in L2 while each tile's run of them is written in one go (tile by tile
 * over all dy channels, a 512x256x3x3 filter went 4 times through L3; dy channel by dy channel, the tiles' runs lie
 * 4 KiB-aliased apart and their stores missed L1). Runs of tiles across the pool (each writes only its tiles' runs).
 */
template <int MR>
void packPairFilter(const ConvGeom& g, const PairPlan& pp, const float* w, float* out, ThreadPool& pool) {
  const int64_t taps = g.KH * g.KW, block = std::max<int64_t>(1, (128 << 10) / (g.C * taps * 4));
  const int64_t runs = std::min<int64_t>(pp.tiles, 4 * pool.size());
  pool.run(runs, [&](int64_t run) {
    const int64_t tb = pp.tiles * run / runs, te = pp.tiles * (run + 1) / runs;
    for (int64_t ob = 0; ob < g.O; ob += block) {
      const int64_t oe = std::min(g.O, ob + block);
      for (const RowPhase& rp : pp.rows)
        for (int pw = 0; pw < 2; pw++) {
          const int64_t T = pw == 0 ? rp.T0 : rp.T1;
          if (T == 0) continue;
          const std::vector<int64_t>& kws = pw == 0 ? pp.kws0 : pp.kws1;
          for (int64_t t = tb; t < te; t++) {
            float* dst = out + rp.packAt + (t * (rp.K0 + rp.K1) + (pw == 0 ? 0 : rp.K0) + ob * T) * MR;
            const int64_t c0 = t * MR, cn = std::min<int64_t>(MR, g.C - c0);
            for (int64_t o = ob; o < oe; o++) {
              const float* wc = w + (o * g.C + c0) * taps;
              for (int64_t kh : rp.khs)
                for (int64_t kw : kws) {
                  const float* src = wc + kh * g.KW + kw;
                  if (cn == MR) {
#pragma GCC unroll 16
                    for (int i = 0; i < MR; i++) dst[i] = src[i * taps];
                  } else {
                    for (int i = 0; i < MR; i++) dst[i] = i < cn ? src[i * taps] : 0.f;
                  }
                  dst += MR;
                }
            }
          }
        }
    }
  });
}

/** Where one tile of the paired input gradient reads and writes: NP pieces, each dy at src[p] and 2N dx columns at dst[p], valid[p] of them stored. */
template <int NP>
struct PairPieces {
  const float* src[NP];
  float* dst[NP];
  uint32_t lo[NP], hi[NP];
};

/** One column phase's sums of a tile: c[i][p] (+)= the K taps a (MR per tap) times dy at src[p] + off[k]. */
template <int MR, int NP>
SN_INLINE void pairTaps(const PairPieces<NP>& pc, int64_t K, const float* a, const int64_t* off, S::V (&c)[MR][NP]) {
  for (int64_t k = 0; k < K; k++) {
    S::V b[NP];
#pragma GCC unroll 4
    for (int p = 0; p < NP; p++) b[p] = S::load(pc.src[p] + off[k]);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const S::V ai = S::set1(a[i]);
#pragma GCC unroll 4
      for (int p = 0; p < NP; p++) c[i][p] = S::fma(ai, b[p], c[i][p]);
    }
    a += MR;
  }
}

/**
 * NP dx row segments of MR channels (rows dxStride apart; the first mr stored): even columns from K0 taps,
 * odd from K1. The even sums wait on the stack while the odd ones run, so each pass has MR x NP accumulators.
 * accumulate: start from what dx holds (the sums of the earlier dy channel chunks), split into its phases.
 */
template <int MR, int NP>
void pairTile(const PairPieces<NP>& pc, int64_t K0, const float* a0, const int64_t* off0, int64_t K1, const float* a1, const int64_t* off1,
              int64_t dxStride, int mr, bool accumulate) {
  S::V c[MR][NP];
  // The sums so far of column phase `odd` (0 when not accumulating).
  auto begin = [&](bool odd) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int p = 0; p < NP; p++) {
        c[i][p] = S::zero();
        if (accumulate && i < mr) {
          const S::V lo = loadLanes(pc.dst[p] + i * dxStride, pc.lo[p]), hi = loadLanes(pc.dst[p] + i * dxStride + S::N, pc.hi[p]);
          c[i][p] = odd ? S::odds(lo, hi) : S::evens(lo, hi);
        }
      }
  };
  begin(false);
  pairTaps<MR, NP>(pc, K0, a0, off0, c);
  alignas(64) float even[MR][NP][S::N];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int p = 0; p < NP; p++) S::store(even[i][p], c[i][p]);
  begin(true);
  pairTaps<MR, NP>(pc, K1, a1, off1, c);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int p = 0; p < NP; p++) {
      const S::V e = S::load(even[i][p]);
      storeLanes(pc.dst[p] + i * dxStride, pc.lo[p], S::zipLo(e, c[i][p]));
      storeLanes(pc.dst[p] + i * dxStride + S::N, pc.hi[p], S::zipHi(e, c[i][p]));
    }
  }
}

/**
 * The paired-column input gradient with tiles of MR dx channels x NP vectors of dy positions. Channel
 * chunks: the dy rows that one group of vectors reads for a chunk stay in L1 while every dx-channel tile
 * of a block reuses them (the sums go through dx between chunks); blocks of tiles whose packed filter
 * stays in L2 while the vectors stream past.
 */
template <int MR, int NP>
void backpropInputPaired(const ConvGeom& g, const float* dy, const FilterRef& filter, float* dx, ThreadPool& pool) {
  const PairPlan pp = pairPlan(g, MR);
  const FilterCache::Packed packed = filter.packed(layoutKey({6, g.C, g.O, g.KH, g.KW, g.SH, g.PT, g.PL, g.DH, g.DW, g.H, g.W, MR}),
                                                   static_cast<size_t>(pp.packFloats),
                                                   [&](const float* raw, float* out) { packPairFilter<MR>(g, pp, raw, out, pool); });
  const float* ap = packed->data();
  // Bands of dx rows per image when the batch alone would leave threads idle or uneven (each band fills the
  // image's whole dy copy: a 2x224x224 stem in 3 bands per image copied 3 x 3.4 MB per image).
  const int threads = pool.size();
  const int64_t bands = threads == 1 || g.N % threads == 0 || g.N >= 3 * threads ? 1 : std::min<int64_t>(g.H, (3 * threads + g.N - 1) / g.N);
  const int64_t planeIn = g.H * g.W;
  const int64_t perRow = (pp.Wr0 + S::N - 1) / S::N;
  pool.run(g.N * bands, [&](int64_t task) {
    const int64_t n = task / bands, band = task % bands;
    const int64_t ih0 = g.H * band / bands, ih1 = g.H * (band + 1) / bands;
    if (ih0 >= ih1) return;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(pp.sg, pp.slabRows, g.O)), kSlabSlot);
    Slab slab(pp.sg, 0, pp.slabRows, buffer);
    slab.fill(pp.sg, dy + n * g.O * g.OH * g.OW, 0, g.O);
    float* dxn = dx + n * g.C * planeIn;
    for (int64_t ph = 0; ph < g.SH; ph++) {
      const RowPhase& rp = pp.rows[static_cast<size_t>(ph)];
      // The task's dx rows ph + SH q of this phase: q in [q0, q1).
      const int64_t q0 = std::max<int64_t>(0, (ih0 - ph + g.SH - 1) / g.SH), q1 = std::min(rp.Hq, (ih1 - ph + g.SH - 1) / g.SH);
      if (q0 >= q1) continue;
      if (rp.K0 + rp.K1 == 0) {
        for (int64_t c = 0; c < g.C; c++)
          for (int64_t q = q0; q < q1; q++) std::memset(dxn + c * planeIn + (ph + g.SH * q) * g.W, 0, static_cast<size_t>(g.W) * sizeof(float));
        continue;
      }
      const int64_t tileFloats = (rp.K0 + rp.K1) * MR;
      const int64_t tilesPerBlock = std::max<int64_t>(1, (192 << 10) / (tileFloats * 4));
      // dy channels per chunk: the rows a group of vectors reads (down to the next dx row of the phase when
      // a row holds fewer vectors than a group) in 16 KiB, chunks of even size. A single tile reuses no
      // chunk: it takes all channels at once (a 3-channel stem in 8 chunks of 8 ran at 41 GFLOP/s, unchunked 48;
      // AVX2, 1 thread, CPU time, medians of 6 under load).
      const int64_t groupRows = rp.span + (NP + perRow - 1) / perRow - 1;
      const int64_t fit = pp.tiles == 1 ? g.O : std::max<int64_t>(1, (16 << 10) / (groupRows * slab.Wq * 4));
      const int64_t nChunks = (g.O + fit - 1) / fit, chunk = (g.O + nChunks - 1) / nChunks;
      // Vectors (q, r0) of the phase in order, NP per tile: along a row, or down to the next row of the phase.
      const int64_t vectors = (q1 - q0) * perRow;
      for (int64_t mb = 0; mb < pp.tiles; mb += tilesPerBlock) {
        const int64_t me = std::min(pp.tiles, mb + tilesPerBlock);
        for (int64_t v = 0; v < vectors; v += NP) {
          PairPieces<NP> pc;
          for (int p = 0; p < NP; p++) {
            const int64_t vv = std::min(v + p, vectors - 1), q = q0 + vv / perRow, r0 = (vv % perRow) * S::N;
            pc.src[p] = buffer + q * slab.Wq + r0;
            pc.dst[p] = dxn + (ph + g.SH * q) * g.W + 2 * r0;
            // A missing vector repeats the last one's addresses and stores nothing.
            const int64_t valid = v + p < vectors ? g.W - 2 * r0 : 0;
            pc.lo[p] = laneBits(0, std::min<int64_t>(S::N, valid));
            pc.hi[p] = laneBits(0, std::min<int64_t>(S::N, valid - S::N));
          }
          for (int64_t o0 = 0; o0 < g.O; o0 += chunk) {
            const int64_t on = std::min(chunk, g.O - o0);
            for (int64_t t = mb; t < me; t++) {
              const float* a = ap + rp.packAt + t * tileFloats;
              const int mr = static_cast<int>(std::min<int64_t>(MR, g.C - t * MR));
              PairPieces<NP> pt = pc;
              for (int p = 0; p < NP; p++) pt.dst[p] += t * MR * planeIn;
              pairTile<MR, NP>(pt, on * rp.T0, a + o0 * rp.T0 * MR, rp.off0.data() + o0 * rp.T0, on * rp.T1, a + (rp.K0 + o0 * rp.T1) * MR,
                               rp.off1.data() + o0 * rp.T1, planeIn, mr, o0 > 0);
            }
          }
        }
      }
    }
  });
}

/**
 * Tile of the paired-column input gradient: the ISA's largest (6 channels x 2 vectors on AVX2) unless the 4 x 3
 * tile below pads clearly less (4-row tiles had measured 5-15% slower on ResNet-20's 16- and 32-channel layers on
 * Zen 2); 3 channels x 3 vectors for the 3-channel input of an RGB stem, which the 6-row tile would half fill
 * (3 x 4 needs one register more than AVX2 has: GCC spilled an accumulator, 30% of the FMA peak on ResNet's stem).
 * On AVX2 4 x 3 where that pads dx's channels and the phase's vectors clearly less: 64x16x32x32 -> 32 (16 channels,
 * 32 vectors a row phase) 73-75 -> 79-80 GFLOP/s (Zen 4, 1 thread, CPU time, 2 interleaved rounds at load ~29), while
 * 2x256x14x14 -> 512 (7 vectors: 9 in threes) ran 52-54 -> 46-47 and 16x192x16x16 -> 192 85-92 -> 81.
 * 16 lanes: 8 channels x 2 vectors, which fills 16-channel layers (64x16x32x32 -> 32: 82-90 GFLOP/s against
 * 72 for 8 x 3; 12 x 2 would pad 16 channels to 24) and measured even with 12 x 2 on 96 and 192 channels.
 */
void backpropInputPairedFor(const ConvGeom& g, const float* dy, const FilterRef& filter, float* dx, ThreadPool& pool) {
  if (g.C <= 3) {
    backpropInputPaired<3, 3>(g, dy, filter, dx, pool);
    return;
  }
  if constexpr (S::N == 8) {
    // 4 channels x 3 vectors where it pads the channels and vectors clearly less (16 channels: 18 rows of 6).
    const int64_t vectors = (g.H + g.SH - 1) / g.SH * (((g.W + 1) / 2 + S::N - 1) / S::N);
    auto use = [&](int64_t mr, int64_t np) {
      return static_cast<double>(g.C) / static_cast<double>((g.C + mr - 1) / mr * mr) * static_cast<double>(vectors) /
             static_cast<double>((vectors + np - 1) / np * np);
    };
    if (use(4, 3) > 1.05 * use(6, 2)) {
      backpropInputPaired<4, 3>(g, dy, filter, dx, pool);
      return;
    }
  }
  constexpr int MR = S::N == 16 ? 8 : S::kMaxMR;
  backpropInputPaired<MR, 2>(g, dy, filter, dx, pool);
}

void backpropInput(const ConvGeom& g, const float* dy, const FilterRef& filter, float* dx, ThreadPool& pool) {
  if (winogradS2DxFits(g)) {
    winogradS2BackpropInput(g, dy, filter, dx, pool);
    return;
  }
  if constexpr (kChannelDxLanes) {
    if (channelDxFits(g)) {
      backpropInputChannels(g, dy, filter, dx, pool);
      return;
    }
  }
  if (pairedFits(g)) {
    backpropInputPairedFor(g, dy, filter, dx, pool);
    return;
  }
  if (g.SH > 1 || g.SW > 1) {
    backpropInputStrided(g, dy, filter, dx, pool);
    return;
  }
  // dx is the stride-1 convolution of dy (padded by the kernel extent minus the forward padding)
  // with the filter flipped in space and with input and output channels swapped.
  ConvGeom t = g;
  t.C = g.O;
  t.H = g.OH;
  t.W = g.OW;
  t.O = g.C;
  t.OH = g.H;
  t.OW = g.W;
  t.PT = (g.KH - 1) * g.DH - g.PT;
  t.PB = (g.KH - 1) * g.DH - g.PB;
  t.PL = (g.KW - 1) * g.DW - g.PL;
  t.PR = (g.KW - 1) * g.DW - g.PR;
  t.Cg = g.Og;
  t.Og = g.Cg;
  t.Kdim = g.Og * g.KH * g.KW;
  t.P = g.H * g.W;
  std::vector<float> flipped;
  FilterRef f = filter.derived(layoutKey({4}), [&]() -> const float* {
    std::vector<int64_t> khs, kws;
    for (int64_t k = g.KH - 1; k >= 0; k--) khs.push_back(k);
    for (int64_t k = g.KW - 1; k >= 0; k--) kws.push_back(k);
    flipped.resize(static_cast<size_t>(g.filterSize));
    swapFilterTaps(g, filter.weights(), khs, kws, flipped.data());
    return flipped.data();
  });
  // dx feeds no ReLU mask: forwardConv may take Winograd where it would for a constant filter (see inputGradient).
  f.inputGradient = true;
  forwardConv(t, dy, f, nullptr, nullptr, false, dx, pool);
}
