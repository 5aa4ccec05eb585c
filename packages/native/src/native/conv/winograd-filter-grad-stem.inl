// ISA fragment (see README.md): the filter gradient of 7-tap-wide stride-2 filters over few input channels
// (the ResNet/GoogLeNet stem, 7x7/2 of 3 channels) by a column-polyphase Winograd. Along a row, over a pair
// of dy values h0, h1 (output columns 2t, 2t + 1) and the 9 padded inputs p0 .. p8 under them (from column
// 4t), tap k's share is h0 p[k] + h1 p[k + 2]. The even taps 0, 2, 4, 6 correlate the even inputs e_i = p[2i]
// with (h0, h1): taps 0, 2 and taps 4, 6 each by Winograd F(2, 2), 3 products (e0 - e1) h0, e1 (h0 + h1),
// (e2 - e1) h1 (and the same one tile on: e2 .. e4). The odd taps 1, 3, 5 correlate the odd inputs o_i =
// p[2i + 1] by F(3, 2) on the points 0, 1, -1 and infinity: (o0 - o2) h0, (o1 + o2)/2 (h0 + h1), (o2 - o1)/2
// (h0 - h1), (o3 - o1) h1. So a pair of columns costs 10 products per (input channel, filter row) instead of
// 14, and the transforms only add, subtract and halve (no rounding beyond the direct kernel's order of sums).
//
// The products sharing a dy element (h0, h0 + h1, h1, h0 - h1) form one GEMM over every column pair of the
// image: rows (element, channel, filter row) of transformed inputs times a dy element's panel of output
// channels, which is filter-grad.inl's tap tile (filterTile) with transformed-input planes in place of the
// slab's phases and a transformed dy panel in place of dy^T. Seven planes per padded row and channel hold
// the input transforms, A0 = e0 - e1, B0 = e1, C0 = e2 - e1 of tile t (read one tile on, they are taps 4 and
// 6's), and A2 = o0 - o2, B2 = (o1 + o2)/2, C2 = o3 - o1, D = (o2 - o1)/2. Output rows go in blocks: each
// block fills a slab band of its padded rows, transforms it, and runs every row tile per panel of output
// channels over the block's transformed dy; the sums are M[row][channels], with one inverse at the end.

/** Planes of transformed inputs per padded row and channel (A0, B0, C0, A2, B2, C2, D). */
constexpr int kStemPlanes = 7;

/** GEMM rows per (channel, filter row) for dy elements h0, h0 + h1, h1, h0 - h1, and the (plane, tile shift) of each. */
constexpr int kStemRowsPer[4] = {3, 3, 3, 1};
constexpr int kStemRowPlane[4][3][2] = {{{0, 0}, {0, 1}, {3, 0}}, {{1, 0}, {1, 1}, {4, 0}}, {{2, 0}, {2, 1}, {5, 0}}, {{6, 0}, {6, 0}, {6, 0}}};

/**
 * 7-wide stride-2 filters (no column dilation, no groups, no cropping pads) of up to 4 input channels and 64
 * output channels or more, 8 output columns or more. Measured against the direct kernel (filter-grad.inl) on
 * the ResNet-18/GoogLeNet stem 3x224x224 -> 64 (isa-check --bench-only 3x224x224 --cpu-time, Zen 4, medians of 3
 * interleaved rounds at load 11-12, GFLOP/s of the direct multiply-adds), batch 1 / 2 / 8: AVX2 1 thread
 * 97 / 95 / 95 -> 125 / 115 / 117, 2 threads 90 / 93 / 96 -> 115 / 117 / 115; AVX-512 1 thread 98 / 97 / 96 ->
 * 115 / 113 / 113, 2 threads 92 / 96 / 95 -> 115 / 106 / 112.
 */
bool stemFilterGradFits(const ConvGeom& g) {
  if (g.KW != 7 || g.SW != 2 || g.DW != 1 || g.DH != 1 || g.G != 1) return false;
  if (g.PT < 0 || g.PB < 0 || g.PL < 0 || g.PR < 0) return false;
  return g.C <= 4 && g.O >= 64 && g.OW >= 8;
}

/**
 * The 7 planes (plane stride ps) of tiles t0 .. t0 + N - 1 of one padded row of a 2-phase slab (e: phase 0,
 * o: phase 1 at the row's start): P0[t] = e[2t] = p0, P2[t] = e[2t + 1] = p2, P1[t] = o[2t] = p1, P3[t] =
 * o[2t + 1] = p3; a tile on, p4 .. p7 (and p8 = P0[t + 2] through C0 a tile on).
 */
SN_INLINE void stemPlanes(const float* e, const float* o, int64_t t0, float* out, int64_t ps) {
  const S::V el = S::load(e + 2 * t0), eh = S::load(e + 2 * t0 + S::N);
  const S::V ol = S::load(o + 2 * t0), oh = S::load(o + 2 * t0 + S::N);
  const S::V p0 = S::evens(el, eh), p2 = S::odds(el, eh), p1 = S::evens(ol, oh), p3 = S::odds(ol, oh);
  const S::V p4 = S::evens(S::load(e + 2 * t0 + 2), S::load(e + 2 * t0 + 2 + S::N));
  const S::V p5 = S::evens(S::load(o + 2 * t0 + 2), S::load(o + 2 * t0 + 2 + S::N));
  const S::V p7 = S::odds(S::load(o + 2 * t0 + 2), S::load(o + 2 * t0 + 2 + S::N));
  const S::V half = S::set1(0.5f);
  float* at = out + t0;
  S::store(at, S::sub(p0, p2));
  S::store(at + ps, p2);
  S::store(at + 2 * ps, S::sub(p4, p2));
  S::store(at + 3 * ps, S::sub(p1, p5));
  S::store(at + 4 * ps, S::mul(half, S::add(p3, p5)));
  S::store(at + 5 * ps, S::sub(p7, p3));
  S::store(at + 6 * ps, S::mul(half, S::sub(p5, p3)));
}

/**
 * H[d][r][t][NV N] (element planes hs apart) for the block's rows r < rows and tiles t < TW from its dy^T
 * panel bt[r OW + column][NV N]: h0, h0 + h1, h1, h0 - h1 of columns 2t and 2t + 1 (past OW read as zero).
 */
template <int NV>
void stemFilterDy(const float* bt, int64_t rows, int64_t OW, int64_t TW, float* H, int64_t hs) {
  constexpr int64_t kPanel = NV * S::N;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t t = 0; t < TW; t++) {
      const float* b = bt + (r * OW + 2 * t) * kPanel;
      const bool right = 2 * t + 1 < OW;
      float* o = H + (r * TW + t) * kPanel;
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) {
        const S::V h0 = S::load(b + v * S::N), h1 = right ? S::load(b + kPanel + v * S::N) : S::zero();
        S::store(o + v * S::N, h0);
        S::store(o + hs + v * S::N, S::add(h0, h1));
        S::store(o + 2 * hs + v * S::N, h1);
        S::store(o + 3 * hs + v * S::N, S::sub(h0, h1));
      }
    }
}

template <int NV>
void stemFilterGradBy(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  constexpr int MR = kFilterMR;
  constexpr int64_t kPanel = NV * S::N;
  constexpr int64_t N = S::N;
  const int64_t TW = (g.OW + 1) / 2;
  // Plane rows hold tiles 0 .. TW (taps 4 and 6 read a tile on) in whole vectors; the slab is wide enough for
  // their loads (phase index up to 2 Wt + 1).
  const int64_t Wt = (TW + 1 + N - 1) / N * N;
  ConvGeom sg = g;
  sg.PR = std::max<int64_t>(g.PR, 4 * Wt + 4 - g.W - g.PL);
  const int64_t panels = (g.O + kPanel - 1) / kPanel, accStride = panels * kPanel;
  // GEMM rows of dy element d from start[d]: kStemRowsPer[d] a (channel, filter row); MR rows of slack (a tile
  // loads whole MR rows of sums and reads MR row pointers).
  int64_t start[5] = {0, 0, 0, 0, 0};
  for (int d = 0; d < 4; d++) start[d + 1] = start[d] + kStemRowsPer[d] * g.C * g.KH;
  const int64_t mFloats = (start[4] + MR) * accStride;
  // Blocks of output rows: 16 positions per panel lane (filter-grad.inl's rule) in column pairs, 4 rows or more.
  const int64_t rowsPerBlock = std::min<int64_t>(g.OH, std::max<int64_t>(4, 8 * kPanel / TW));
  const int64_t blocks = (g.OH + rowsPerBlock - 1) / rowsPerBlock, units = g.N * blocks;
  // Threads split (image, block) units into parts, each summing into its own M: the split depends on the
  // thread count only.
  const int64_t parts = std::min<int64_t>(pool.size(), units);
  float* M = scratch(static_cast<size_t>(parts * mFloats), kPhaseSlot);
  // Planes of every padded row an image's outputs read, each row transformed once (a block's band overlaps
  // the last one's by KH - SH rows) and read while the block runs.
  const int64_t bandMax = g.SH * (rowsPerBlock - 1) + g.KH, ps = (g.SH * (g.OH - 1) + g.KH) * Wt;
  const int64_t slabFloats = (Slab::floats(sg, bandMax, g.C) + 15) / 16 * 16;
  const int64_t btFloats = rowsPerBlock * g.OW * kPanel, hs = rowsPerBlock * TW * kPanel + kPanel;
  pool.run(parts, [&](int64_t part) {
    float* m = M + part * mFloats;
    std::memset(m, 0, static_cast<size_t>(mFloats) * sizeof(float));
    float* buffer = scratch(static_cast<size_t>(slabFloats + g.C * kStemPlanes * ps), kSlabSlot);
    float* T = buffer + slabFloats;
    float* bt = scratch(static_cast<size_t>(btFloats + 4 * hs), kPanelSlot);
    float* H = bt + btFloats;
    std::vector<const float*> base(static_cast<size_t>(start[4] + MR));
    for (int d = 0; d < 4; d++)
      for (int64_t ck = 0; ck < g.C * g.KH; ck++)
        for (int k = 0; k < kStemRowsPer[d]; k++) {
          const int64_t c = ck / g.KH, ky = ck % g.KH;
          const int* pl = kStemRowPlane[d][k];
          base[static_cast<size_t>(start[d] + ck * kStemRowsPer[d] + k)] = T + (c * kStemPlanes + pl[0]) * ps + ky * Wt + pl[1];
        }
    for (int64_t i = 0; i < MR; i++) base[static_cast<size_t>(start[4] + i)] = base[static_cast<size_t>(start[4] - 1)];
    int64_t done = 0;
    for (int64_t u = units * part / parts; u < units * (part + 1) / parts; u++) {
      const int64_t n = u / blocks, oh0 = u % blocks * rowsPerBlock, rows = std::min(g.OH, oh0 + rowsPerBlock) - oh0;
      // Padded rows [done, need) of the image: a slab band, then its planes.
      if (u == units * part / parts || oh0 == 0) done = g.SH * oh0;
      const int64_t need = g.SH * (oh0 + rows - 1) + g.KH;
      Slab band(sg, done, need - done, buffer);
      band.fill(sg, x + n * g.C * g.H * g.W, 0, g.C);
      for (int64_t c = 0; c < g.C; c++)
        for (int64_t r = done; r < need; r++) {
          const float* e = buffer + c * band.chanStride + (r - done) * band.Wq;
          for (int64_t t0 = 0; t0 < Wt; t0 += N) stemPlanes(e, e + band.phaseStride, t0, T + c * kStemPlanes * ps + r * Wt, ps);
        }
      done = need;
      for (int64_t pn = 0; pn < panels; pn++) {
        const int64_t on = std::min(kPanel, g.O - pn * kPanel);
        packDyPanel<NV>(dy + (n * g.O + pn * kPanel) * g.P + oh0 * g.OW, g.P, rows * g.OW, on, bt);
        stemFilterDy<NV>(bt, rows, g.OW, TW, H, hs);
        for (int d = 0; d < 4; d++)
          for (int64_t j = start[d]; j < start[d + 1]; j += MR) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, start[d + 1] - j));
            const TileOut out{m + j * accStride + pn * kPanel, accStride, nullptr, 0, 0};
            (mr < MR ? filterTileFor<NV>(mr) : filterTile<NV, MR>)(base.data() + j, 1, 0, oh0, oh0 + rows, TW, g.SH * Wt, H + d * hs, 0, oh0, out, mr);
          }
      }
    }
  });
  // dW[o][c][ky][kx] from the parts' M: taps 0, 2 = A0 + B0, B0 + C0; 4, 6 the same a tile on; 1, 3, 5 =
  // A2 + B2 + D, B2 - D, B2 + D + C2. Blocks of (channel, filter row) across the pool.
  const int64_t CK = g.C * g.KH;
  pool.run(CK, [&](int64_t ck) {
    for (int64_t o = 0; o < g.O; o++) {
      float v[4][3];
      for (int d = 0; d < 4; d++)
        for (int k = 0; k < kStemRowsPer[d]; k++) {
          const float* at = M + (start[d] + ck * kStemRowsPer[d] + k) * accStride + o;
          float s = 0.f;
          for (int64_t part = 0; part < parts; part++) s += at[part * mFloats];
          v[d][k] = s;
        }
      float* out = dw + (o * CK + ck) * 7;
      out[0] = v[0][0] + v[1][0];
      out[2] = v[1][0] + v[2][0];
      out[4] = v[0][1] + v[1][1];
      out[6] = v[1][1] + v[2][1];
      out[1] = v[0][2] + v[1][2] + v[3][0];
      out[3] = v[1][2] - v[3][0];
      out[5] = v[1][2] + v[3][0] + v[2][2];
    }
  });
}

void stemFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if constexpr (kOneVectorPanels) {
    if (filterPanelVectors(g.O) == 1) {
      stemFilterGradBy<1>(g, x, dy, dw, pool);
      return;
    }
  }
  stemFilterGradBy<2>(g, x, dy, dw, pool);
}
