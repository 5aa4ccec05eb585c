// ISA fragment (see README.md): polyphase Winograd for the input gradient of 3x3 stride-2 convolutions with padding 1,
// the dual of winograd-s2.inl. Along each dimension dx row r takes dy row y where r = 2 y + k - 1: the even rows
// dx[2i] = w1 dy[i] take one tap, the odd rows dx[2i + 1] = w2 dy[i] + w0 dy[i + 1] a 2-tap correlation. An 8x8 dx
// tile (rows 8 ty ..) thus comes from dy's 5x5 patch at 4 ty, 4 tx: per dimension F(4, 2) on dy[0 .. 4] with the filter
// (w2, w0) for the odd rows (5 products) and dy[0 .. 3] as they are for the even rows (4), 9 elements, 81 products per
// tile and channel pair against the direct kernel's 144. The 9 elements are the forward's transform of the patch
// line (dy0, dy0, dy1, dy1, .., dy4), the 36 filter classes its transform of w flipped in space (s2Filter, Swap), so
// winograd-s2.inl's GEMMs run as they are, summing over dy's O channels for tiles of dx's C channels. Tiles of the
// whole batch lie in the lanes end to end as there; dy is split into 4 column phases (a stride-4 Slab), so that tile
// tx's patch column j is phase j % 4 at index tx + j / 4. dx is overwritten.

/**
 * Pieces (runs of one tile row) a vector of N consecutive tiles holds at most for TW tiles a row: rows that divide
 * the vectors start at their lane 0 (N / TW pieces), others may hold one more; 0 past 8.
 */
int s2DxPieces(int64_t TW) {
  if (TW % S::N == 0) return 1;
  const int64_t most = S::N % TW == 0 ? S::N / TW : (S::N - 2) / TW + 2;
  return most <= 2 ? 2 : most <= 4 ? 4 : most <= 8 ? 8 : 0;
}

/** The GEMMs' view of the layer (winograd-s2.inl's names): dy's O channels summed (C), dx's C channels produced (O). */
ConvGeom s2DxGemmGeom(const ConvGeom& g) {
  ConvGeom t = g;
  t.C = g.O;
  t.O = g.C;
  return t;
}

/**
 * Whether the polyphase input gradient runs: 3x3 filters at stride 2 with padding 1 at the top and left (any at the
 * bottom and right), no dilation or groups, at least 64 channels in and out (trainable filters below that stay off
 * Winograd, see winogradFits), dx tile rows of at most 8 pieces a vector, 64 dx tiles in the batch and a transformed
 * filter within kGroupFilterBytes (transformed on every call for a trainable filter, and streamed by every pass).
 * Zen 4, 1 thread, CPU time, GFLOP/s (direct-equivalent) against the channel-lane kernel, isa-check --cpu-time
 * interleaved with main at load 5-9: 8x64x56x56 -> 128 avx2 88-89 -> 118-123, avx512 92-95 -> 131-136 (16 x 1 tile);
 * 16x96x32x32 -> 96 avx2 94-95 -> 124-128, avx512 97-98 -> 125-131; 32x96x32x32 avx2 98-99 -> 127-132, avx512 97-98 ->
 * 136; 2x64x56x56 -> 128 (98 tiles) avx2 88-97 -> 105-109. 16x192x16x16 -> 192 (64 tiles, a 5.3 MB transformed
 * filter) avx2 7.3-7.4 -> 6.2-6.7 ms, avx512 6.9-7.0 -> 5.5-5.6 ms. 2x128x28x28 -> 256 (32 tiles, 4.7 MB) ran slower:
 * avx2 2.6 -> 3.4-3.5 ms, avx512 2.9-3.0 -> 2.8-3.0.
 */
bool winogradS2DxFits(const ConvGeom& g) {
  const int64_t TH = (g.H + 7) / 8, TW = (g.W + 7) / 8;
  return g.KH == 3 && g.KW == 3 && g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1 && g.G == 1 && g.PT == 1 && g.PL == 1 && g.C >= 64 &&
         g.O >= 64 && s2DxPieces(TW) > 0 && kS2K * kS2K * g.C * g.O * 4 <= kGroupFilterBytes && g.N * TH * TW >= 64;
}

/** The 9 elements of one dimension from the dy patch line q[0 .. 4]: the forward's line on (q0, q0, q1, q1, .., q4). */
SN_INLINE void s2DxInputLine(const S::V* q, S::V* t) {
  const S::V d[kS2E] = {q[0], q[0], q[1], q[1], q[2], q[2], q[3], q[3], q[4]};
  s2InputLine(d, t);
}

/** The 8 dx values of one dimension from its 9 products: even ones m[5 .. 8] as they are, odd ones A^T m[0 .. 4]. */
SN_INLINE void s2DxOutputLine(const S::V* m, S::V* y) {
  S::V odd[4];
  s2PairLine(m, odd);
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    y[2 * j] = m[5 + j];
    y[2 * j + 1] = odd[j];
  }
}

/** Input transform of every dy channel for NV vectors of tiles: V[xi][o][NV N], xi = 9 row element + column element. */
template <int R, int NV>
void s2DxInput(const Slab& slab, int64_t O, const int64_t (*at)[8], const uint32_t (*bits)[8], float* V, int64_t xs) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t ps = slab.phaseStride, Wq = slab.Wq;
  S::M m[NV][8];
  for (int v = 0; v < NV; v++)
    for (int r = 0; r < R; r++) m[v][r] = S::mask(bits[v][r]);
  for (int64_t o = 0; o < O; o++) {
    const float* base = slab.data + o * slab.chanStride;
    for (int v = 0; v < NV; v++) {
      S::V t[kS2E][5];
#pragma GCC unroll 5
      for (int j = 0; j < 5; j++) {
        const int64_t off = (j & 3) * ps + (j >> 2);
        S::V q[5], e[kS2E];
#pragma GCC unroll 5
        for (int i = 0; i < 5; i++) q[i] = winoLoad<R>(base, at[v], m[v], off + i * Wq);
        s2DxInputLine(q, e);
#pragma GCC unroll 9
        for (int i = 0; i < kS2E; i++) t[i][j] = e[i];
      }
      float* out = V + o * kPanel + v * S::N;
#pragma GCC unroll 9
      for (int i = 0; i < kS2E; i++) {
        S::V e[kS2E];
        s2DxInputLine(t[i], e);
#pragma GCC unroll 9
        for (int k = 0; k < kS2E; k++) S::store(out + (kS2E * i + k) * xs, e[k]);
      }
    }
  }
}

/**
 * A vector's stores of one dx row: after the 8-way interleave (s2DxZip) vector e holds positions e N .. e N + N - 1 of
 * its tiles' rows side by side (8 floats a tile); st[k]: one such vector (q) or the part of it in one piece.
 */
struct S2DxOut {
  S2Store st[16];
  int n;
};

/** Rows r[s] (column s of every lane's 8) into r[e] = floats e N .. e N + N - 1 of the lanes' runs of 8: 3 rounds of zips. */
SN_INLINE void s2DxZip(S::V (&r)[8]) {
#pragma GCC unroll 3
  for (int round = 0; round < 3; round++) {
    S::V t[8];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
      t[2 * j] = S::zipLo(r[j], r[j + 4]);
      t[2 * j + 1] = S::zipHi(r[j], r[j + 4]);
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) r[j] = t[j];
  }
}

/** Output transform of dx channel c for the used vectors of a pass into the batch's dx (plane: channel c of image 0). */
template <int NV>
void s2DxOutput(const float* M, int64_t xs, const S2DxOut* out, int used, float* plane, int64_t W) {
  for (int v = 0; v < used; v++) {
    S::V s[8][kS2E];
#pragma GCC unroll 9
    for (int k = 0; k < kS2E; k++) {
      S::V m[kS2E], r[8];
#pragma GCC unroll 9
      for (int i = 0; i < kS2E; i++) m[i] = S::load(M + (kS2E * i + k) * xs + v * S::N);
      s2DxOutputLine(m, r);
#pragma GCC unroll 8
      for (int a = 0; a < 8; a++) s[a][k] = r[a];
    }
#pragma GCC unroll 8
    for (int a = 0; a < 8; a++) {
      S::V r[8];
      s2DxOutputLine(s[a], r);
      s2DxZip(r);
      for (int e = 0; e < out[v].n; e++) {
        const S2Store& st = out[v].st[e];
        if (a < st.rows) storeLanes(plane + st.off + a * W, st.bits, r[st.q]);
      }
    }
  }
}

/** dy as a stride-4 slab of 4 TW + 1 columns (zeros past OW; the N-lane loads of the last vector read into the slack). */
ConvGeom s2DxSlabGeom(const ConvGeom& g, int64_t TW) {
  ConvGeom sg = g;
  sg.C = g.O;
  sg.H = g.OH;
  sg.W = g.OW;
  sg.SW = 4;
  sg.PT = sg.PL = sg.PB = 0;
  sg.PR = std::max<int64_t>(0, 4 * TW + 1 - g.OW);
  return sg;
}

/**
 * As s2Run: tiles of the whole batch in the lanes in order (image, tile row, tile column), up to R pieces a vector;
 * tasks take runs of passes and fill the dy slab rows their tiles read of each image into one of `slots` slabs.
 */
template <class T, int R>
void s2DxRun(const ConvGeom& g, const float* dy, const float* u, float* dx, ThreadPool& pool) {
  constexpr int NV = T::NV, MR = T::MR;
  constexpr int64_t N = S::N;
  const ConvGeom t = s2DxGemmGeom(g);
  const int64_t TH = (g.H + 7) / 8, TW = (g.W + 7) / 8, perImage = TH * TW, total = g.N * perImage, plane = g.H * g.W;
  const int64_t vectors = (total + N - 1) / N, passes = (vectors + NV - 1) / NV;
  const int64_t slots = (NV * N + perImage - 1) / perImage + 1;
  const ConvGeom sg = s2DxSlabGeom(g, TW);
  const int64_t rows = 4 * TH + 1, slabFloats = Slab::floats(sg, rows, g.O);
  const int64_t tasks = pool.size() == 1 ? 1 : std::min<int64_t>(passes, 3 * pool.size());
  const int64_t cTiles = (g.C + MR - 1) / MR;
  const int64_t block = std::max<int64_t>(1, kS2BlockBytes / (kS2E * kS2E * MR * T::kPanel * 4));
  // V's and M's 81 planes a line apart more than their size: at 4 KiB multiples (O N floats, 12 KiB for 128 channels
  // of a 4 x 3 tile's panel) every plane's stores of a tile vector fell in one L1 set.
  const int64_t vs = g.O * T::kPanel + kLinePad;
  pool.run(tasks, [&](int64_t task) {
    const int64_t p0 = passes * task / tasks, p1 = passes * (task + 1) / tasks;
    if (p0 >= p1) return;
    const int64_t f0 = p0 * NV * N, f1 = std::min(total, p1 * NV * N);
    float* buffer = scratch(static_cast<size_t>(slots * slabFloats), kSlabSlot);
    const Slab slab(sg, 0, rows, buffer);
    float* V = scratch(static_cast<size_t>(kS2E * kS2E * (vs + std::min(cTiles, block) * MR * T::kPanel + kLinePad)), kPanelSlot);
    float* M = V + kS2E * kS2E * vs;
    std::vector<int64_t> held(static_cast<size_t>(slots), -1);  // the image in each slot
    for (int64_t s = p0 * NV; s < std::min(vectors, p1 * NV); s += NV) {
      int64_t at[NV][8] = {};
      uint32_t bits[NV][8] = {};
      S2DxOut out[NV];
      for (int v = 0; v < NV; v++) {
        out[v].n = 0;
        const int64_t vec = s + v;
        for (int64_t f = vec * N, r = 0; vec < vectors && f < std::min(total, (vec + 1) * N); r++) {
          const int64_t lane0 = f - vec * N, n = f / perImage, ty = f % perImage / TW, tx = f % TW;
          const int64_t count = std::min({TW - tx, N - lane0, total - f}), slot = n % slots;
          if (held[slot] != n) {
            // The dy slab rows under this task's tile rows of image n.
            const int64_t first = (std::max(f0, n * perImage) - n * perImage) / TW, last = (std::min(f1, (n + 1) * perImage) - 1 - n * perImage) / TW;
            held[slot] = n;
            f4Fill(sg, Slab(sg, 0, rows, buffer + slot * slabFloats), dy + n * g.O * g.OH * g.OW, 4 * first, 4 * last + 5);
          }
          at[v][r] = slot * slabFloats + 4 * ty * slab.Wq + tx - lane0;
          bits[v][r] = laneBits(lane0, lane0 + count);
          for (int e = 0; e < 8; e++) {
            // Vector e's floats [e N, e N + N) of the lanes' runs of 8 that lie in this piece, dx columns below W.
            const int64_t a = std::max<int64_t>(e * N, 8 * lane0), b = std::min<int64_t>((e + 1) * N, 8 * (lane0 + count));
            const int64_t col = 8 * (tx - lane0) + e * N;
            const uint32_t lanes = a < b ? laneBits(a - e * N, b - e * N) & laneBits(0, g.W - col) : 0u;
            if (lanes) out[v].st[out[v].n++] = S2Store{n * g.C * plane + 8 * ty * g.W + col, lanes, e, static_cast<int>(std::min<int64_t>(8, g.H - 8 * ty))};
          }
          f += count;
        }
      }
      const int used = static_cast<int>(std::min<int64_t>(NV, vectors - s));
      s2DxInput<R, NV>(slab, g.O, at, bits, V, vs);
      // Blocks of dx-channel tiles whose products M stay in L2 until their output transform.
      for (int64_t ct0 = 0; ct0 < cTiles; ct0 += block) {
        const int64_t ct1 = std::min(cTiles, ct0 + block), xs = (ct1 - ct0) * MR * T::kPanel + kLinePad;
        s2Gemms<T>(t, u, V, vs, ct0, ct1, M, xs);
        for (int64_t c = ct0 * MR; c < std::min(g.C, ct1 * MR); c++) s2DxOutput<NV>(M + (c - ct0 * MR) * T::kPanel, xs, out, used, dx + c * plane, g.W);
      }
    }
  });
}

template <class T>
void s2DxByRows(const ConvGeom& g, const float* dy, const FilterRef& w, float* dx, ThreadPool& pool) {
  const FilterCache::Packed u = w.packed(layoutKey({13, g.O, g.C, T::MR}), static_cast<size_t>(s2FilterFloats(s2DxGemmGeom(g), T::MR)),
                                         [&](const float* raw, float* out) { s2Filter<T::MR, true>(g, raw, pool, out); });
  switch (s2DxPieces((g.W + 7) / 8)) {
    case 1: s2DxRun<T, 1>(g, dy, u->data(), dx, pool); break;
    case 2: s2DxRun<T, 2>(g, dy, u->data(), dx, pool); break;
    case 4: s2DxRun<T, 4>(g, dy, u->data(), dx, pool); break;
    default:
      // 8 pieces only from 8 lanes on: s2DxPieces gives at most N (N / TW, TW = 1) on 4 lanes.
      if constexpr (S::N >= 8) s2DxRun<T, 8>(g, dy, u->data(), dx, pool);
      break;
  }
}

/**
 * Polyphase Winograd input gradient (winogradS2DxFits): the 4 x 3 GEMM tile of 8 lanes where it pads less than
 * kWinoMR x 2; on 16 lanes 16 x 1 where 12 x 2 pads dx's channels (8x64x56x56 -> 128: 7.8-8.6 -> 6.7-7.0 ms).
 */
void winogradS2BackpropInput(const ConvGeom& g, const float* dy, const FilterRef& w, float* dx, ThreadPool& pool) {
  if constexpr (S::N == 8 && kWinoMR == 6) {
    if (winoWidePads((g.N * ((g.H + 7) / 8) * ((g.W + 7) / 8) + S::N - 1) / S::N, g.C)) {
      s2DxByRows<WinoTile<4, 3>>(g, dy, w, dx, pool);
      return;
    }
  }
  if constexpr (S::N == 16) {
    // 16 x 1 where kWinoMR x 2 pads dx's channel rows (64 channels: 72 rows of 12), as winoSingleTile.
    const int64_t vectors = (g.N * ((g.H + 7) / 8) * ((g.W + 7) / 8) + S::N - 1) / S::N;
    const double pair = static_cast<double>((g.C + kWinoMR - 1) / kWinoMR * kWinoMR) * static_cast<double>((vectors + 1) / 2 * 2);
    const double narrow = static_cast<double>((g.C + 15) / 16 * 16) * static_cast<double>(vectors) / 0.9;
    if (narrow < pair) {
      s2DxByRows<WinoTile<16, 1>>(g, dy, w, dx, pool);
      return;
    }
  }
  s2DxByRows<WinoTile<kWinoMR, 2>>(g, dy, w, dx, pool);
}
