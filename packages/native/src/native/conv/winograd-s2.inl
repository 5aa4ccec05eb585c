// ISA fragment (see README.md): polyphase Winograd for 3x3 stride-2 convolutions. Along each dimension an
// output y[j] = w0 p[2j] + w1 p[2j + 1] + w2 p[2j + 2] (p the padded input) splits by input phase: the even
// phase E[k] = p[2k] meets the 2-tap filter (w0, w2), the odd phase O[k] = p[2k + 1] the single tap w1. A tile
// of 4 outputs takes F(4, 2) on E[0 .. 4] (points 0, 1, -1, 2 and infinity: 5 products) and O[0 .. 3] as they
// are (4): 9 transformed elements a dimension, 81 products per 4x4 output tile and channel pair against the
// direct kernel's 144 (the four phase convolutions, 2x2 + 2x1 + 1x2 + 1x1 taps, in one transform and one
// output transform). Elements whose filter values coincide (an odd-phase index takes w1 whichever it is) share
// one transformed filter: 6 x 6 classes, so U is 36 C O floats and each class's GEMM tiles serve 1, 4 or 16
// elements while in L1. Tiles lie in the lanes as in winograd-f4.inl; the padded input is split into 8 column
// phases (a stride-8 Slab), so that tile tx's patch column s is phase s % 8 at index tx + s / 8.

/** Transformed elements a dimension, filter classes a dimension. */
constexpr int kS2E = 9, kS2K = 6;
/** Bytes of products M a block of output-channel tiles holds (within L2 with V, which every block reads). */
constexpr int64_t kS2BlockBytes = int64_t{128} << 10;
/** Fewest vectors of tiles a batch for the polyphase forward (winogradS2Fits). */
constexpr int64_t kS2MinVectors = S::N == 8 ? 12 : 16;
/** Floats that set V's and M's planes a cache line further apart. */
constexpr int64_t kLinePad = 16;

/**
 * Pieces (runs of one tile row) a vector of N consecutive tiles may hold for TW tiles a row: 1 where rows fill
 * whole vectors, else 2 or 4; 0 past 4 (rows of under a third of a vector: not taken). On 8 and 4 lanes rows that
 * divide N start each vector at a row's start (N / TW pieces): All-CNN-C's 8x8 outputs (TW 2) make 4 on 8 lanes, and
 * its 16x16 ones (TW 4) 2 instead of 4 (two masked loads an element fewer; 64x96x32x32 -> 96 s2, avx2, Zen 5, within
 * the noise: 106-118 (113) -> 109-121 (112) GFLOP/s, 4 rounds). 16 lanes keep the general count, so their TW 4 rows
 * stay on the direct kernel: taken there, 64x96x32x32 -> 96 s2 measured even (avx512, 4 rounds at load 8-9,
 * 159-175 (171) GFLOP/s direct against 158-174 (166)).
 */
int s2Pieces(int64_t TW) {
  if (TW % S::N == 0) return 1;
  const int64_t most = S::N <= 8 && S::N % TW == 0 ? S::N / TW : (S::N - 2) / TW + 2;
  return most <= 2 ? 2 : most <= 4 ? 4 : 0;
}

/**
 * Whether the polyphase Winograd runs: 3x3 filters at stride 2, no dilation or groups, at least 64 input channels
 * (trainable filters below that stay off forward Winograd, see winogradFits; constant ones were not measured), 16
 * output channels, output rows of at least a third of a vector of tiles, a transformed filter within
 * kSharedFilterBytes (each pass streams all of it) and at least kS2MinVectors vectors of tiles in the batch (the
 * filter transform, on every call for a trainable filter, and the last pass's idle lanes are paid per call). Zen 4,
 * isa-check --cpu-time, 1 thread, interleaved rounds at load 5-8, direct -> polyphase GFLOP/s: 8x64x56x56 -> 128
 * avx2 92-100 -> 108-117, avx512 97-100 -> 113-126; 16x96x32x32 -> 96 avx2 88-91 -> 101-104; but 2x64x56x56 -> 128
 * (98 tiles) avx2 94-100 -> 90-101, avx512 98-106 -> 91-103, and 2x128x28x28 -> 256 (a 4.7 MiB filter) avx2 100 -> 70.
 * Since V's and M's planes were padded (s2Run) 2x64x56x56 -> 128 (13 vectors of 8 tiles) runs faster on AVX2, so
 * 8 lanes take it from 12 vectors: isa-check, interleaved with the direct kernel at load 13-17, avx2 1 thread 87-93
 * -> 94-105, 2 threads 80-87 -> 104-108 (a forward-only loop, best of 15 by CPU time, four rounds at load 14:
 * 2.65-2.76 -> 2.20-2.28 ms); on avx512 (7 vectors of 16) the direct kernel stayed ahead (1.49-1.51 -> 1.63-2.00 ms).
 * Transformed filters of 2 to 8 MiB (kGroupFilterBytes) where the batch holds 128 tiles or more: each pass streams
 * the filter for NV N tiles, so a batch of many passes pays it as the small filters do (2x128x28x28 -> 256 above,
 * 98 tiles, stays direct). Zen 5, All-CNN-C's 192 -> 192 at 16x16 (5.3 MB; 8x8 outputs, 2 tiles a row: 4 pieces a
 * vector on 8 lanes, s2Pieces), isa-check --bench-only "x192x16x16 * 192x192x3x3 s2" --columns forward,const
 * --cpu-time, avx2, 1 thread, the same binary with the rule off then on, 4 interleaved rounds at load 7-9, GFLOP/s
 * ranges (medians) forward / const: 64x192x16x16 82.4-85.8 (83.3) / 83.1-85.3 (84.2) -> 104.0-114.9 (105.8) /
 * 104.4-122.9 (112.7); 32x 82.8-87.7 (84.4) / 83.6-86.0 (84.9) -> 102.3-110.8 (110.3) / 109.5-122.2 (119.0); 16x
 * (64 tiles) stays direct.
 */
bool winogradS2Fits(const ConvGeom& g, bool constantFilter) {
  (void)constantFilter;
  const int64_t TH = (g.OH + 3) / 4, TW = (g.OW + 3) / 4;
  return g.KH == 3 && g.KW == 3 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1 && g.G == 1 && g.Cg >= 64 && g.Og >= 16 && g.PT >= 0 &&
         g.PL >= 0 && s2Pieces(TW) > 0 && kS2K * kS2K * g.C * g.O * 4 <= (g.N * TH * TW >= 128 ? kGroupFilterBytes : kSharedFilterBytes) &&
         g.N * TH * TW >= kS2MinVectors * S::N;
}

int64_t s2FilterFloats(const ConvGeom& g, int MR) { return kS2K * kS2K * ((g.O + MR - 1) / MR) * g.C * MR; }

/** The 6 filter classes of one dimension for MR filters at once from taps k0, k1, k2: F(4, 2)'s G on (k0, k2), then k1. */
template <int MR>
SN_INLINE void s2FilterLine(const float* k0, const float* k1, const float* k2, float (*out)[MR]) {
  for (int i = 0; i < MR; i++) {
    out[0][i] = 0.5f * k0[i];
    out[1][i] = -0.5f * (k0[i] + k2[i]);
    out[2][i] = (k2[i] - k0[i]) * (1.f / 6);
    out[3][i] = (k0[i] + 2.f * k2[i]) * (1.f / 6);
    out[4][i] = k2[i];
    out[5][i] = k1[i];
  }
}

/**
 * U[class][o tile][c][MR] (class = 6 row class + column class) for each filter w[o][c]; rows past O zero. The MR
 * filters of a tile are transformed side by side (a trainable filter is transformed on every call: one filter at a
 * time in double took a seventh of the GEMMs' time at batch 2). Swap: the input gradient's filter
 * (winograd-backprop-input-s2.inl), U[class][c tile][o][MR] from w[o][c] flipped in space.
 */
template <int MR, bool Swap = false>
void s2Filter(const ConvGeom& g, const float* w, ThreadPool& pool, float* u) {
  constexpr int K = kS2K * kS2K;
  const int64_t rows = Swap ? g.C : g.O, sum = Swap ? g.O : g.C;
  const int64_t tiles = (rows + MR - 1) / MR;
  const int64_t block = std::max<int64_t>(1, 512 / (sum * MR));
  pool.run((tiles + block - 1) / block, [&](int64_t b) {
    for (int64_t ot = b * block; ot < std::min(tiles, (b + 1) * block); ot++) {
      const int on = static_cast<int>(std::min<int64_t>(MR, rows - ot * MR));
      for (int64_t c = 0; c < sum; c++) {
        float k[9][MR], t[3][kS2K][MR], v[K][MR];
        for (int i = 0; i < MR; i++)
          for (int j = 0; j < 9; j++)
            k[j][i] = i >= on ? 0.f : Swap ? w[(c * g.C + ot * MR + i) * 9 + 8 - j] : w[((ot * MR + i) * g.C + c) * 9 + j];
        for (int j = 0; j < 3; j++) s2FilterLine<MR>(k[j], k[3 + j], k[6 + j], t[j]);  // t[column][row class]
        for (int rc = 0; rc < kS2K; rc++) s2FilterLine<MR>(t[0][rc], t[1][rc], t[2][rc], v + kS2K * rc);
        for (int x = 0; x < K; x++) std::memcpy(u + ((x * tiles + ot) * sum + c) * MR, v[x], sizeof v[x]);
      }
    }
  });
}

/** The 9 elements of one dimension from patch values d[0 .. 8]: B^T of F(4, 2) on the even phase, the odd phase as is. */
SN_INLINE void s2InputLine(const S::V* d, S::V* t) {
  const S::V a = S::sub(d[6], d[2]);  // E3 - E1
  t[0] = S::fma(S::set1(2.f), S::sub(d[0], d[4]), a);
  t[1] = S::sub(a, S::add(d[2], d[4]));
  t[2] = S::fma(S::set1(3.f), S::sub(d[2], d[4]), a);
  t[3] = a;
  t[4] = S::fma(S::set1(-2.f), a, S::sub(d[8], d[4]));
  t[5] = d[1];
  t[6] = d[3];
  t[7] = d[5];
  t[8] = d[7];
}

/** A^T of F(4, 2): 4 outputs from the 5 products m[0 .. 4] (the even input phase's share of a forward line). */
SN_INLINE void s2PairLine(const S::V* m, S::V* y) {
  const S::V p = S::add(m[1], m[2]), q = S::sub(m[1], m[2]);
  y[0] = S::add(S::add(p, m[0]), m[3]);
  y[1] = S::fma(S::set1(2.f), m[3], q);
  y[2] = S::fma(S::set1(4.f), m[3], p);
  y[3] = S::add(S::fma(S::set1(8.f), m[3], q), m[4]);
}

/** The 4 outputs of one dimension from its 9 products: A^T of F(4, 2) plus the odd phase's. */
SN_INLINE void s2OutputLine(const S::V* m, S::V* y) {
  s2PairLine(m, y);
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) y[j] = S::add(y[j], m[5 + j]);
}

/** Input transform of every channel for NV vectors of tiles: V[xi][c][NV N], xi = 9 row element + column element, planes xs floats apart. */
template <int R, int NV>
void s2Input(const Slab& slab, int64_t C, const int64_t (*at)[4], const uint32_t (*bits)[4], float* V, int64_t xs) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t ps = slab.phaseStride, Wq = slab.Wq;
  static_assert(R >= 1 && R <= 4, "pieces a vector");
  S::M m[NV][4];
  for (int v = 0; v < NV; v++)
    for (int r = 0; r < R; r++) m[v][r] = S::mask(bits[v][r]);
  for (int64_t c = 0; c < C; c++) {
    const float* base = slab.data + c * slab.chanStride;
    for (int v = 0; v < NV; v++) {
      S::V t[kS2E][kS2E];
#pragma GCC unroll 9
      for (int s = 0; s < kS2E; s++) {
        const int64_t off = (s & 7) * ps + (s >> 3);
        S::V d[kS2E], e[kS2E];
#pragma GCC unroll 9
        for (int i = 0; i < kS2E; i++) {
          if constexpr (R == 1) {
            d[i] = S::load(base + at[v][0] + off + i * Wq);
          } else {
            d[i] = winoLoad<R>(base, at[v], m[v], off + i * Wq);
          }
        }
        s2InputLine(d, e);
#pragma GCC unroll 9
        for (int i = 0; i < kS2E; i++) t[i][s] = e[i];
      }
      float* out = V + c * kPanel + v * S::N;
#pragma GCC unroll 9
      for (int i = 0; i < kS2E; i++) {
        S::V e[kS2E];
        s2InputLine(t[i], e);
#pragma GCC unroll 9
        for (int k = 0; k < kS2E; k++) S::store(out + (kS2E * i + k) * xs, e[k]);
      }
    }
  }
}

/**
 * One store of a vector's zipped outputs: quarter q (the outputs of lanes q N / 4 .. (q + 1) N / 4 - 1, 4 output
 * rows, row 0 at offset off from the batch's y, the lanes in bits) for rows below `rows`. A quarter whose lanes
 * lie in two pieces (tile rows) takes two stores.
 */
struct S2Store {
  int64_t off;
  uint32_t bits;
  int q, rows;
};

/** A vector's stores: a quarter each, and one more for each further piece. */
struct S2Out {
  S2Store st[8];
  int n;
};

/** Output transform of channel o for the used vectors of a pass: bias, the residual (null or of y's layout) and relu. */
template <int NV>
void s2Output(const float* M, int64_t xs, const S2Out* out, int used, float bias, const float* res, bool relu, float* y, int64_t OW) {
  const S::V b = S::set1(bias), zero = S::zero();
  for (int v = 0; v < used; v++) {
    S::V s[4][kS2E];
#pragma GCC unroll 9
    for (int k = 0; k < kS2E; k++) {
      S::V m[kS2E], r[4];
#pragma GCC unroll 9
      for (int i = 0; i < kS2E; i++) m[i] = S::load(M + (kS2E * i + k) * xs + v * S::N);
      s2OutputLine(m, r);
#pragma GCC unroll 4
      for (int a = 0; a < 4; a++) s[a][k] = r[a];
    }
#pragma GCC unroll 4
    for (int a = 0; a < 4; a++) {
      S::V r[4];
      s2OutputLine(s[a], r);
      for (int j = 0; j < 4; j++) r[j] = S::add(r[j], b);
      const S::V p0 = S::zipLo(r[0], r[2]), q0 = S::zipLo(r[1], r[3]), p1 = S::zipHi(r[0], r[2]), q1 = S::zipHi(r[1], r[3]);
      S::V o[4] = {S::zipLo(p0, q0), S::zipHi(p0, q0), S::zipLo(p1, q1), S::zipHi(p1, q1)};
      for (int e = 0; e < out[v].n; e++) {
        const S2Store& st = out[v].st[e];
        if (a >= st.rows) continue;
        const int64_t at = st.off + a * OW;
        S::V t = o[st.q];
        if (res) t = S::add(t, loadLanes(res + at, st.bits));
        if (relu) t = S::max(zero, t);
        storeLanes(y + at, st.bits, t);
      }
    }
  }
}

/**
 * The GEMMs of output-channel tiles [ot0, ot1) for a pass: M[xi][tile - ot0][MR][panel] (xi planes xs floats apart)
 * from V[xi][c][panel] (planes vs apart); each class's U tile is read once from memory and then serves every element
 * of the class from L1.
 */
template <class T>
void s2Gemms(const ConvGeom& g, const float* u, const float* V, int64_t vs, int64_t ot0, int64_t ot1, float* M, int64_t xs) {
  constexpr int MR = T::MR;
  const int64_t oTiles = (g.O + MR - 1) / MR;
  for (int rc = 0; rc < kS2K; rc++)
    for (int cc = 0; cc < kS2K; cc++)
      for (int64_t ot = ot0; ot < ot1; ot++) {
        const float* ut = u + ((kS2K * rc + cc) * oTiles + ot) * g.C * MR;
        for (int i = rc; i < (rc < 5 ? rc + 1 : kS2E); i++)
          for (int j = cc; j < (cc < 5 ? cc + 1 : kS2E); j++) {
            const int xi = kS2E * i + j;
            winoGemm<T>(g.C, ut, V + xi * vs, M + xi * xs + (ot - ot0) * MR * T::kPanel);
          }
      }
}

/** The columns of 8 consecutive vectors a[0 .. 7] split by column index mod 8: out[p] holds those at p, p + 8, .. */
SN_INLINE void s2Deinterleave(const S::V* a, S::V* out) {
  S::V h[2][4], q[4][2];
  for (int i = 0; i < 4; i++) {
    h[0][i] = S::evens(a[2 * i], a[2 * i + 1]);
    h[1][i] = S::odds(a[2 * i], a[2 * i + 1]);
  }
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < 2; i++) {
      q[p][i] = S::evens(h[p][2 * i], h[p][2 * i + 1]);
      q[p + 2][i] = S::odds(h[p][2 * i], h[p][2 * i + 1]);
    }
  for (int p = 0; p < 4; p++) {
    out[p] = S::evens(q[p][0], q[p][1]);
    out[p + 4] = S::odds(q[p][0], q[p][1]);
  }
}

/**
 * Slab rows [lo, hi) of one image in the 8-phase layout (padded column q at phase q % 8, index q / 8), each slab
 * row's 8 N columns from 8 N input columns read in place (masked across the row's ends).
 */
void s2Fill(const ConvGeom& g, const Slab& slab, int64_t lo, int64_t hi, const float* image) {
  constexpr int64_t N = S::N;
  const int64_t Wq = slab.Wq, ps = slab.phaseStride, W = g.W;
  for (int64_t c = 0; c < g.C; c++) {
    for (int64_t r = lo; r < hi; r++) {
      float* dst = slab.data + c * slab.chanStride + r * Wq;
      const int64_t ih = slab.r0 + r - g.PT;
      if (ih < 0 || ih >= g.H) {
        for (int p = 0; p < 8; p++) std::memset(dst + p * ps, 0, static_cast<size_t>(Wq) * sizeof(float));
        continue;
      }
      const float* src = image + (c * g.H + ih) * W;
      if (Wq <= N / 2) {
        // The row's 8 Wq padded columns in 4 vectors: three rounds of deinterleaves leave two phases a vector
        // (phases 0 | 2, 4 | 6, 1 | 3 and 5 | 7 in its halves), half the shuffles and loads of the 8-vector split,
        // whose last 4 vectors held no column. Zen 5, avx512 8x64x56x56 -> 128 (28-column outputs, Wq 8): the fill's
        // share of the forward's samples 14% -> 7% (perf record, isa-check --bench-only ... --columns forward, 1
        // thread); whole forwards, chrt -f 10 wall time, 4 interleaved rounds against cc1ec05 at load 8-27, GFLOP/s
        // 1 thread 156-205 (median 199) -> 173-208 (193), within the noise; 2 threads 230-303 (251) -> 259-318 (274).
        S::V a[4];
        for (int i = 0; i < 4; i++) {
          const int64_t col = -g.PL + i * N;
          const int64_t lo = std::max<int64_t>(0, -col), hi = std::min<int64_t>(N, W - col);
          a[i] = lo == 0 && hi == N ? S::load(src + col) : hi > lo ? S::maskLoad(S::mask(laneBits(lo, hi)), src + col) : S::zero();
        }
        const S::V e = S::evens(a[0], a[1]), o = S::odds(a[0], a[1]), e2 = S::evens(a[2], a[3]), o2 = S::odds(a[2], a[3]);
        const S::V m0 = S::evens(e, e2), m2 = S::odds(e, e2), m1 = S::evens(o, o2), m3 = S::odds(o, o2);  // columns 4 k + j
        const S::V out[4] = {S::evens(m0, m2), S::odds(m0, m2), S::evens(m1, m3), S::odds(m1, m3)};
        constexpr int kPhase[4][2] = {{0, 2}, {4, 6}, {1, 3}, {5, 7}};
        const uint32_t low = laneBits(0, Wq), high = laneBits(N / 2, N / 2 + Wq);
        for (int i = 0; i < 4; i++) {
          storeLanes(dst + kPhase[i][0] * ps, low, out[i]);
          storeLanes(dst + kPhase[i][1] * ps - N / 2, high, out[i]);
        }
        continue;
      }
      for (int64_t k = 0; k < Wq; k += N) {
        S::V a[8], out[8];
        for (int i = 0; i < 8; i++) {
          const int64_t col = 8 * k - g.PL + i * N;
          const int64_t lo = std::max<int64_t>(0, -col), hi = std::min<int64_t>(N, W - col);
          a[i] = lo == 0 && hi == N ? S::load(src + col) : hi > lo ? S::maskLoad(S::mask(laneBits(lo, hi)), src + col) : S::zero();
        }
        s2Deinterleave(a, out);
        const uint32_t bits = laneBits(0, std::min<int64_t>(N, Wq - k));
        for (int p = 0; p < 8; p++) storeLanes(dst + p * ps + k, bits, out[p]);
      }
    }
  }
}

/**
 * The padded input as a stride-8 slab holding 8 TW + 1 padded columns (the N-lane loads of the last vector read
 * past them into the slab's slack or the next row: lanes that are never stored).
 */
ConvGeom s2SlabGeom(const ConvGeom& g, int64_t TW) {
  ConvGeom sg = g;
  sg.SW = 8;
  sg.PR = std::max<int64_t>(g.PR, 8 * TW + 1 - g.W - g.PL);
  return sg;
}

/**
 * Tiles of the whole batch in the lanes in order (image, tile row, tile column), so that no lane idles at the end of
 * a tile row or an image (ResNet-18's 28x28 outputs: 7 tiles a row, 49 an image). A vector holds up to R pieces (runs
 * of one tile row). Tasks take runs of passes; each fills the slab rows its tiles read of each image into one of
 * `slots` slabs (image n in slot n % slots), all of an image's padded rows in layout.
 */
template <class T, int R>
void s2Run(const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y, ThreadPool& pool) {
  constexpr int NV = T::NV, MR = T::MR;
  constexpr int64_t N = S::N;
  const int64_t TH = (g.OH + 3) / 4, TW = (g.OW + 3) / 4, perImage = TH * TW, total = g.N * perImage;
  const int64_t vectors = (total + N - 1) / N, passes = (vectors + NV - 1) / NV;
  const int64_t slots = (NV * N + perImage - 1) / perImage + 1;
  const ConvGeom sg = s2SlabGeom(g, TW);
  const int64_t rows = 8 * TH + 1, slabFloats = Slab::floats(sg, rows, g.C);
  const int64_t tasks = pool.size() == 1 ? 1 : std::min<int64_t>(passes, 3 * pool.size());
  const int64_t oTiles = (g.O + MR - 1) / MR;
  const int64_t block = std::max<int64_t>(1, kS2BlockBytes / (kS2E * kS2E * MR * T::kPanel * 4));
  // V's and M's 81 planes a line apart more than their size, as in winograd-backprop-input-s2.inl: at 6 KiB (64
  // channels of a 4 x 3 tile's panel; 8 KiB on 16 lanes) every other plane fell in one L1 set, and an input
  // transform's 81 stores of a tile vector missed L1: it took a fifth of 8x64x56x56 -> 128 on AVX2 (perf, cpu-clock
  // samples), a tenth since. avx2 1 thread, interleaved with fb91d69: isa-check --cpu-time, three rounds at load
  // 13-17, 95-102 -> 115-123 GFLOP/s; a forward-only loop, best of 11 by CPU time, six rounds at load 13-15,
  // 9.04-10.72 -> 7.87-9.99 ms.
  const int64_t vs = g.C * T::kPanel + kLinePad;
  pool.run(tasks, [&](int64_t t) {
    const int64_t p0 = passes * t / tasks, p1 = passes * (t + 1) / tasks;
    if (p0 >= p1) return;
    const int64_t f0 = p0 * NV * N, f1 = std::min(total, p1 * NV * N);
    float* buffer = scratch(static_cast<size_t>(slots * slabFloats), kSlabSlot);
    const Slab slab(sg, 0, rows, buffer);
    float* V = scratch(static_cast<size_t>(kS2E * kS2E * (vs + std::min(oTiles, block) * MR * T::kPanel + kLinePad)), kPanelSlot);
    float* M = V + kS2E * kS2E * vs;
    std::vector<int64_t> held(static_cast<size_t>(slots), -1);  // the image in each slot (up to NV N + 1 of 1-tile images)
    for (int64_t s = p0 * NV; s < std::min(vectors, p1 * NV); s += NV) {
      int64_t at[NV][4] = {};
      uint32_t bits[NV][4] = {};
      S2Out out[NV];
      for (int v = 0; v < NV; v++) {
        out[v].n = 0;
        const int64_t vec = s + v;
        for (int64_t f = vec * N, r = 0; vec < vectors && f < std::min(total, (vec + 1) * N); r++) {
          const int64_t lane0 = f - vec * N, n = f / perImage, ty = f % perImage / TW, tx = f % TW;
          const int64_t count = std::min({TW - tx, N - lane0, total - f}), slot = n % slots;
          if (held[slot] != n) {
            // The padded rows under this task's tile rows of image n.
            const int64_t first = (std::max(f0, n * perImage) - n * perImage) / TW, last = (std::min(f1, (n + 1) * perImage) - 1 - n * perImage) / TW;
            held[slot] = n;
            s2Fill(sg, Slab(sg, 0, rows, buffer + slot * slabFloats), 8 * first, 8 * last + 9, x + n * g.C * g.H * g.W);
          }
          at[v][r] = slot * slabFloats + 8 * ty * slab.Wq + tx - lane0;
          bits[v][r] = laneBits(lane0, lane0 + count);
          for (int q = 0; q < 4; q++) {
            // Quarter q's tile lanes [L0, L0 + N / 4) that lie in this piece.
            const int64_t L0 = q * N / 4, a = std::max(L0, lane0), b = std::min(L0 + N / 4, lane0 + count), col = 4 * (tx - lane0 + L0);
            const uint32_t lanes = a < b ? laneBits(4 * (a - L0), 4 * (b - L0)) & laneBits(0, g.OW - col) : 0u;
            if (lanes) out[v].st[out[v].n++] = S2Store{n * g.O * g.P + 4 * ty * g.OW + col, lanes, q, static_cast<int>(std::min<int64_t>(4, g.OH - 4 * ty))};
          }
          f += count;
        }
      }
      const int used = static_cast<int>(std::min<int64_t>(NV, vectors - s));
      s2Input<R, NV>(slab, g.C, at, bits, V, vs);
      // Blocks of output-channel tiles whose products M stay in L2 until their output transform.
      for (int64_t ot0 = 0; ot0 < oTiles; ot0 += block) {
        const int64_t ot1 = std::min(oTiles, ot0 + block), xs = (ot1 - ot0) * MR * T::kPanel + kLinePad;
        s2Gemms<T>(g, u, V, vs, ot0, ot1, M, xs);
        for (int64_t o = ot0 * MR; o < std::min(g.O, ot1 * MR); o++)
          s2Output<NV>(M + (o - ot0 * MR) * T::kPanel, xs, out, used, bias ? bias[o] : 0.f, residual ? residual + o * g.P : nullptr, relu, y + o * g.P,
                       g.OW);
      }
    }
  });
}

template <class T>
void s2ByRows(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y, ThreadPool& pool) {
  const FilterCache::Packed u = w.packed(layoutKey({9, g.O, g.C, T::MR}), static_cast<size_t>(s2FilterFloats(g, T::MR)),
                                         [&](const float* raw, float* out) { s2Filter<T::MR>(g, raw, pool, out); }, false);
  switch (s2Pieces((g.OW + 3) / 4)) {
    case 1: s2Run<T, 1>(g, x, u->data(), bias, residual, relu, y, pool); break;
    case 2: s2Run<T, 2>(g, x, u->data(), bias, residual, relu, y, pool); break;
    default: s2Run<T, 4>(g, x, u->data(), bias, residual, relu, y, pool); break;
  }
}

/** Polyphase Winograd forward (winogradS2Fits): the 4 x 3 GEMM tile of 8 lanes where it pads less than kWinoMR x 2, as in winoWideTile. */
void winogradS2Forward(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                       ThreadPool& pool) {
  if constexpr (S::N == 8 && kWinoMR == 6) {
    if (winoWidePads((g.N * ((g.OH + 3) / 4) * ((g.OW + 3) / 4) + S::N - 1) / S::N, g.O)) {
      s2ByRows<WinoTile<4, 3>>(g, x, w, bias, residual, relu, y, pool);
      return;
    }
  }
  s2ByRows<WinoTile<kWinoMR, 2>>(g, x, w, bias, residual, relu, y, pool);
}
