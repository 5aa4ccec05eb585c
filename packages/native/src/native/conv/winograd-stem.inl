// ISA fragment (see README.md): column-polyphase Winograd for the forward of the ResNet/GoogLeNet stem (7 taps wide
// at column stride 2, up to 4 input channels). Two adjacent outputs y[2j], y[2j + 1] of a row read padded columns
// 4j .. 4j + 8: the even ones (5) meet taps 0, 2, 4, 6 as a stride-1 correlation, F(2, 4) (points 0, 1, -1, 2 and
// infinity: 5 products, the input transform of winograd-s2.inl's F(4, 2)), the odd ones (4) taps 1, 3, 5 by F(2, 3)
// (4 products): 9 transformed elements per output pair against 14 products. Rows stay direct, so each element's GEMM
// reduces over (channel, row tap), Cg KH deep (21 for the stem), with winograd.inl's GEMM tile and output pairs in
// the lanes. The padded input is a stride-4 slab (padded column 4t + m at phase m, index t): the 9 inputs of N
// consecutive pairs are 9 vector loads. Each pass transforms the (channel, row tap) rows its NV vectors read (an
// input row is transformed once per output row reading it, 3.5 times a stem row: ~3% of the GEMMs' work).

/** Transformed elements per output pair: F(2, 4)'s 5, then F(2, 3)'s 4. */
constexpr int kStemE = 9;

/**
 * Whether the column-polyphase stem kernel runs: 7 taps wide at column stride 2, no column dilation or groups, up to 4
 * input channels, 64 output channels and more, on 8 lanes, and on 16 where AVX-512 runs full width (cpuAvx512FullWidth;
 * elsewhere the avx512 path hands the stem to the avx2 path, stemByEightLanes). Zen 5 (full width: FMA peak 216-227
 * GFLOP/s on 16 lanes, 108-113 on 8), isa-check --bench-only --cpu-time, interleaved rounds at load 13-19, 2x3x224x224
 * -> 64 avx512 on the avx2 path's kernel -> 16 lanes, 1 thread 110-137 -> 180-232 (median 217) GFLOP/s, 2 threads
 * 133-139 -> 214-236; 8x3x224x224 1 thread 131-138 -> 191-219, 2 threads 126-137 -> 212-226; batch 1, 2 threads 119-138
 * -> 196-238. Errors against float64 on 16 lanes 2.7e-7 - 4.1e-7. Zen 4 (2 vCPUs shared, load 5-11), isa-check
 * --bench-only, CPU time, best of 10-15, 3 interleaved rounds, channel-lane direct kernel -> this, direct-equivalent
 * GFLOP/s: 2x3x224x224 -> 64 7x7/2 avx2 1 thread 104-107 -> 119-123, 2 threads 92-105 -> 120-122, avx512 1 thread
 * 102-105 -> 119-122, 2 threads 102-104 -> 117-122; GoogLeNet's batch 8 (avx2) 1 thread 101 -> 116, 2 threads 81-102 ->
 * 111-117; batch 1 best 102-106 -> 118. The GEMMs run near the FMA peak (the 4 x 3 tile at 21 deep alone: 110-112
 * GFLOP/s, 96%); with whole-vector output stores and U per channel tile, the transforms and stores take about a quarter
 * on top: 2x3x224x224 -> 64 125-130 (README.md). Error against float64 (isa-check's stem cases): 2.4e-7 - 4.4e-7, the
 * direct kernel's 2.2e-7 - 5.7e-7 on the same cases, so trainable filters take it too (the < 64 channel rule of
 * winogradFits is about 3x3 Winograd's rounding).
 */
constexpr bool kStemLanes = S::N == 8 || S::N == 16;
bool stemWinogradFits(const ConvGeom& g, bool constantFilter) {
  (void)constantFilter;
  return kStemLanes && (S::N == 8 || cpuAvx512FullWidth()) && g.KW == 7 && g.SW == 2 && g.DW == 1 && g.G == 1 && g.Cg <= 4 && g.Og >= 64 && g.PL >= 0 && g.PT >= 0;
}

int64_t stemFilterFloats(const ConvGeom& g, int MR) { return kStemE * ((g.O + MR - 1) / MR) * g.C * g.KH * MR; }

/** U[o tile][e][c KH + kh][MR]: each filter row w[o][c][kh][0 .. 7) by F(2, 4)'s G on its even taps, F(2, 3)'s on its odd ones; rows past O zero. */
template <int MR>
void stemFilter(const ConvGeom& g, const float* w, float* u) {
  const int64_t tiles = (g.O + MR - 1) / MR, K = g.C * g.KH;
  for (int64_t o = 0; o < tiles * MR; o++)
    for (int64_t k = 0; k < K; k++) {
      double t[kStemE] = {};
      if (o < g.O) {
        double r[7];
        for (int i = 0; i < 7; i++) r[i] = w[(o * K + k) * 7 + i];
        t[0] = 0.5 * r[0];
        t[1] = -0.5 * (r[0] + r[2] + r[4] + r[6]);
        t[2] = (r[2] - r[0] + r[6] - r[4]) / 6;
        t[3] = (r[0] + 2 * r[2] + 4 * r[4] + 8 * r[6]) / 6;
        t[4] = r[6];
        t[5] = r[1];
        t[6] = 0.5 * (r[1] + r[3] + r[5]);
        t[7] = 0.5 * (r[1] - r[3] + r[5]);
        t[8] = r[5];
      }
      for (int e = 0; e < kStemE; e++) u[((o / MR * kStemE + e) * K + k) * MR + o % MR] = static_cast<float>(t[e]);
    }
}

/** The 9 elements of N output pairs from the pairs' 9 padded columns d[0 .. 8]: F(2, 4)'s B^T on the even ones, F(2, 3)'s on the odd. */
SN_INLINE void stemInputLine(const S::V* d, S::V* t) {
  s2InputLine(d, t);  // t[0 .. 4]; t[5 .. 8] = d[1], d[3], d[5], d[7]
  t[5] = S::sub(d[1], d[5]);
  t[6] = S::add(d[3], d[5]);
  t[7] = S::sub(d[5], d[3]);
  t[8] = S::sub(d[3], d[7]);
}

/**
 * A vector of N output pairs as two halves of N / 2: half h holds output row oh[h], pairs j0[h] .. j0[h] + N / 2 - 1,
 * stored where live[h]. Rows' halves lie end to end (a row of J pairs takes ceil(2 J / N) halves), so that on 16
 * lanes a 112-column row (56 pairs, 7 halves of 8) fills whole halves: a vector either holds N consecutive pairs of
 * one row (whole: one load a column) or ends one row and starts the next (two half loads). Zen 5, 2x3x224x224 -> 64,
 * 8 x 2 tile, isa-check --cpu-time, 4 interleaved rounds at load 17: rows of 4 whole vectors (56 of 64 lanes used) 198-202
 * GFLOP/s at 1 thread, 199-205 at 2; halves end to end 222-232 and 225-236.
 */
struct StemVector {
  int64_t oh[2], j0[2];
  bool live[2], whole;
};

/** V[e][c KH + kh][NV N] for the pass's vectors: slab rows start at padded row r0. */
template <int NV>
void stemInput(const ConvGeom& g, const Slab& slab, const StemVector* vec, float* V) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t K = g.Cg * g.KH, ps = slab.phaseStride;
  for (int v = 0; v < NV; v++)
    for (int64_t c = 0; c < g.Cg; c++)
      for (int64_t kh = 0; kh < g.KH; kh++) {
        const float* base = slab.data + c * slab.chanStride + (kh * g.DH - slab.r0) * slab.Wq;
        const float* p = base + vec[v].oh[0] * g.SH * slab.Wq + vec[v].j0[0];
        const float* q = base + vec[v].oh[1] * g.SH * slab.Wq + vec[v].j0[1];
        S::V d[kStemE], t[kStemE];
        if (vec[v].whole) {
#pragma GCC unroll 9
          for (int i = 0; i < kStemE; i++) d[i] = S::load(p + (i & 3) * ps + (i >> 2));
        } else {
#pragma GCC unroll 9
          for (int i = 0; i < kStemE; i++) d[i] = S::loadHalves(p + (i & 3) * ps + (i >> 2), q + (i & 3) * ps + (i >> 2));
        }
        stemInputLine(d, t);
        float* out = V + (c * g.KH + kh) * kPanel + v * S::N;
#pragma GCC unroll 9
        for (int e = 0; e < kStemE; e++) S::store(out + e * K * kPanel, t[e]);
      }
}

/**
 * Output transform of the MR channels from o0 for the pass's vectors (M[e][i][NV N]): bias, residual (null or of y's layout), relu.
 * Each channel's output lines of the next pass's vectors (next, nextUsed of them) are fetched as these are stored (see stemRun).
 */
template <class T>
void stemOutput(const ConvGeom& g, const float* M, const StemVector* vec, int used, const StemVector* next, int nextUsed, int64_t o0,
                const float* bias, const float* res, bool relu, float* y) {
  const S::V zero = S::zero(), two = S::set1(2.f);
  for (int i = 0; i < T::MR && o0 + i < g.O; i++) {
    const S::V b = S::set1(bias ? bias[o0 + i] : 0.f);
    const int64_t plane = (o0 + i) * g.P;
    for (int v = 0; v < used; v++) {
      const float* mv = M + i * T::kPanel + v * S::N;
      auto m = [&](int e) { return S::load(mv + e * T::MR * T::kPanel); };
      // A^T of F(2, 4) and of F(2, 3), summed.
      const S::V m1 = m(1), m2 = m(2), m3 = m(3), m6 = m(6), m7 = m(7);
      const S::V even = S::add(S::add(S::add(m1, m2), S::add(m(0), m3)), S::add(S::add(m(5), b), S::add(m6, m7)));
      const S::V odd = S::add(S::add(S::fma(two, m3, S::sub(m1, m2)), S::add(m(4), b)), S::sub(S::sub(m6, m7), m(8)));
      // Half h's pairs zipped: N output columns from 2 j0[h].
      const S::V half[2] = {S::zipLo(even, odd), S::zipHi(even, odd)};
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++) {
        if (!vec[v].live[h]) continue;
        const int64_t col = 2 * vec[v].j0[h], at = plane + vec[v].oh[h] * g.OW + col;
        S::V t = half[h];
        if (col + S::N <= g.OW) {
          // Within the row: a plain store (every half of a 112-column row).
          if (res) t = S::add(t, S::load(res + at));
          if (relu) t = S::max(zero, t);
          S::store(y + at, t);
        } else {
          const uint32_t bits = laneBits(0, std::min<int64_t>(S::N, g.OW - col));
          if (res) t = S::add(t, loadLanes(res + at, bits));
          if (relu) t = S::max(zero, t);
          storeLanes(y + at, bits, t);
        }
      }
      if (v < nextUsed) {
        // The first and last output of each half of the next pass's vector v (N floats each): its lines, wherever y starts.
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
          if (!next[v].live[h] || (h == 1 && next[v].whole)) continue;
          const int64_t c = 2 * next[v].j0[h], ahead = plane + next[v].oh[h] * g.OW + c;
          const int64_t last = next[v].whole ? 2 * S::N : S::N;
          __builtin_prefetch(y + ahead, 1, 3);
          __builtin_prefetch(y + ahead + std::min<int64_t>(last, g.OW - c) - 1, 1, 3);
        }
      }
    }
  }
}

/**
 * Tasks of (image, band of output rows): each fills the stride-4 slab of its band, then per pass of NV vectors of
 * output pairs (rows end to end in halves of N / 2 pairs, StemVector; on 8 lanes each row ceil(J / N) whole vectors for
 * J pairs) transforms the inputs once and runs every output-channel tile's 9 GEMMs and output transform while V stays
 * in L1. A pass writes 3 vectors' lines in each of the O channel planes, too few for the hardware prefetchers; the
 * output transform fetches the next pass's lines as it stores this pass's. Without that, into outputs 0 mod 32 bytes
 * (tensors' alignment) each store waited for its line: 2x3x224x224 -> 64, Zen 4, 1 thread, CPU time, best of 7, avx2
 * 82-94 -> 112 GFLOP/s, avx512 99-100 -> 110-111 (README.md).
 */
template <class T>
void stemRun(const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y, ThreadPool& pool) {
  constexpr int NV = T::NV, MR = T::MR;
  constexpr int64_t N = S::N;
  constexpr int64_t H = N / 2;
  // Halves a row (on 8 lanes an even number: every vector within one row, as before halves).
  const int64_t J = (g.OW + 1) / 2, VH = N == 8 ? (J + N - 1) / N * 2 : (J + H - 1) / H, K = g.Cg * g.KH, tiles = (g.O + MR - 1) / MR;
  // Every lane's 9 columns within its slab row: 4 (VH N / 2 + 2) padded columns.
  ConvGeom sg = g;
  sg.SW = 4;
  sg.PR = std::max<int64_t>(g.PR, 4 * (VH * H + 2) - g.W - g.PL);
  // Bands of about 16 output rows (a 3-channel 224x224 band's slab: ~110 KiB), and enough tasks for the threads.
  const int64_t threads = pool.size();
  const int64_t bands = std::min<int64_t>(g.OH, std::max<int64_t>((g.OH + 15) / 16, threads > 1 && g.N < 3 * threads ? (3 * threads + g.N - 1) / g.N : 1));
  pool.run(g.N * bands, [&](int64_t t) {
    const int64_t n = t / bands, band = t % bands;
    const int64_t oh0 = g.OH * band / bands, oh1 = g.OH * (band + 1) / bands;
    if (oh0 >= oh1) return;
    const int64_t r0 = oh0 * g.SH, rows = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1 - r0;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(sg, rows, g.Cg)), kSlabSlot);
    Slab slab(sg, r0, rows, buffer);
    slab.fill(sg, x + n * g.C * g.H * g.W, 0, g.Cg);
    float* V = scratch(static_cast<size_t>((K + MR) * kStemE * T::kPanel), kPanelSlot);
    float* M = V + K * kStemE * T::kPanel;
    const float* res = residual ? residual + n * g.O * g.P : nullptr;
    float* yn = y + n * g.O * g.P;
    const int64_t halves = (oh1 - oh0) * VH, vectors = (halves + 1) / 2;
    auto pass = [&](int64_t s, StemVector* vec) {
      for (int v = 0; v < NV; v++) {
        StemVector& sv = vec[v];
        for (int h = 0; h < 2; h++) {
          const int64_t want = 2 * (s + v) + h, at = std::min(want, halves - 1);  // past the band: the last again, not stored
          sv.oh[h] = oh0 + at / VH;
          sv.j0[h] = at % VH * H;
          sv.live[h] = want < halves;
        }
        sv.whole = sv.oh[1] == sv.oh[0] && sv.j0[1] == sv.j0[0] + H;
      }
      return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(NV, vectors - s)));
    };
    StemVector vec[NV], next[NV];
    int used = pass(0, vec);
    for (int64_t s = 0; s < vectors; s += NV) {
      const int nextUsed = pass(s + NV, next);
      stemInput<NV>(g, slab, vec, V);
      for (int64_t ot = 0; ot < tiles; ot++) {
        for (int e = 0; e < kStemE; e++) winoGemm<T>(K, u + (ot * kStemE + e) * K * MR, V + e * K * T::kPanel, M + e * MR * T::kPanel);
        stemOutput<T>(g, M, vec, used, next, nextUsed, ot * MR, bias, res, relu, yn);
      }
      std::copy(next, next + NV, vec);
      used = nextUsed;
    }
  });
}

/**
 * Column-polyphase Winograd forward of a stem (stemWinogradFits): 4 x 3 GEMM tiles on 8 lanes (no padded rows for 64 channels),
 * 8 x 2 on 16, else kWinoMR x 2.
 */
void stemWinogradForward(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                         ThreadPool& pool) {
  auto run = [&](auto tile) {
    using T = decltype(tile);
    const FilterCache::Packed u = w.packed(layoutKey({10, g.O, g.C, g.KH, T::MR}), static_cast<size_t>(stemFilterFloats(g, T::MR)),
                                           [&](const float* raw, float* out) { stemFilter<T::MR>(g, raw, out); });
    stemRun<T>(g, x, u->data(), bias, residual, relu, y, pool);
  };
  if constexpr (S::N == 8 && kWinoMR == 6) {
    run(WinoTile<4, 3>{});
  } else if constexpr (S::N == 16) {
    // 8 x 2: V (24 KiB), M (9 KiB) and a U tile (6 KiB) within Zen 5's 48 KiB L1, no padded rows for 64 channels.
    // Zen 5, 2x3x224x224 -> 64, isa-check --bench-only --cpu-time, 1 thread, 5 interleaved rounds at load 17-19,
    // GFLOP/s: 8 x 2 189-229 (median 221), 8 x 3 (36 KiB of V) 185-216 (188); one round of the others at load 15:
    // 12 x 2 (72 rows for 64 channels) 200-207, 16 x 1 198-201, 4 x 6 and 6 x 4 (spilled) 66-88.
    run(WinoTile<8, 2>{});
  } else {
    run(WinoTile<kWinoMR, 2>{});
  }
}
