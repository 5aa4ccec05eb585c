// ISA fragment (see README.md): the filter gradient, a dW^T tile of kFilterMR taps x 2 vectors of output
// channels accumulated over output positions, input values broadcast straight from the padded slab and
// dy packed once per image as panels of 2N channels.

constexpr int kFilterMR = S::kFilterMR;
constexpr int64_t kPanel = 2 * S::N;

void filterTile(const float* const* rowBase, int64_t oh0, int64_t oh1, int64_t OW, int64_t rowStride, const float* bt, float* acc,
                int64_t accStride, int mr) {
  constexpr int MR = kFilterMR;
  S::V c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    c0[i] = S::load(acc + i * accStride);
    c1[i] = S::load(acc + i * accStride + S::N);
  }
  for (int64_t oh = oh0; oh < oh1; oh++) {
    const float* r[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) r[i] = rowBase[i] + oh * rowStride;
    const float* b = bt + oh * OW * kPanel;
    for (int64_t ow = 0; ow < OW; ow++) {
      const S::V b0 = S::load(b);
      const S::V b1 = S::load(b + S::N);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        const S::V a = S::set1(r[i][ow]);
        c0[i] = S::fma(a, b0, c0[i]);
        c1[i] = S::fma(a, b1, c1[i]);
      }
      b += kPanel;
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
    S::store(acc + i * accStride, c0[i]);
    S::store(acc + i * accStride + S::N, c1[i]);
  }
}

void tiledFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  constexpr int MR = kFilterMR;
  const int threads = pool.size();
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, g.N));
  const int64_t jTiles = (g.Kdim + MR - 1) / MR;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(jTiles, (threads + parts - 1) / parts));
  const int64_t panels = (g.Og + kPanel - 1) / kPanel;
  const int64_t accStride = panels * kPanel;
  // Partial dW^T per part: [grp][Kdim (+ tile padding)][accStride].
  const int64_t kRows = jTiles * MR;
  const int64_t partFloats = g.G * kRows * accStride;
  // The calling thread's scratch (its tasks use the other slots): a fresh 20 MB buffer per call would cost a
  // page fault per page. Each task zeroes its own rows; the sum below is split across the pool too.
  float* partial = scratch(static_cast<size_t>(parts * partFloats), kPhaseSlot);
  const int64_t rows = g.H + g.PT + g.PB;
  // Output rows per block: the block's dy panel (and input rows) stay in cache while every tap tile sweeps
  // it. 16 positions per panel lane: 512 for 32-lane panels (measured on Zen 5), 256 for 16-lane (Zen 3).
  const int64_t positions = 16 * kPanel;
  const int64_t rowsPerBlock = std::max<int64_t>(1, std::min<int64_t>(g.OH, positions / std::max<int64_t>(1, g.OW)));
  pool.run(parts * chunks, [&](int64_t t) {
    const int64_t part = t / chunks, chunk = t % chunks;
    const int64_t nb = g.N * part / parts, ne = g.N * (part + 1) / parts;
    const int64_t jb = jTiles * chunk / chunks, je = jTiles * (chunk + 1) / chunks;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, g.Cg)), kSlabSlot);
    float* bt = scratch(static_cast<size_t>(panels * g.P * kPanel), kPanelSlot);
    std::vector<const float*> base(static_cast<size_t>(kRows));
    for (int64_t grp = 0; grp < g.G; grp++) {
      float* rows0 = partial + part * partFloats + (grp * kRows + jb * MR) * accStride;
      std::memset(rows0, 0, static_cast<size_t>((je - jb) * MR * accStride) * sizeof(float));
    }
    for (int64_t n = nb; n < ne; n++) {
      for (int64_t grp = 0; grp < g.G; grp++) {
        Slab slab(g, 0, rows, buffer);
        slab.fill(g, x + n * g.C * g.H * g.W, grp * g.Cg, g.Cg);
        for (int64_t j = 0; j < kRows; j++) {
          const int64_t jj = std::min(j, g.Kdim - 1);
          const int64_t c = jj / (g.KH * g.KW), kh = (jj / g.KW) % g.KH, kw = jj % g.KW;
          base[static_cast<size_t>(j)] = buffer + slab.tap(g, c, kh, kw);
        }
        // dy^T panels: bt[panel][p][2N], channels past Og zero.
        const float* dyg = dy + (n * g.O + grp * g.Og) * g.P;
        for (int64_t pn = 0; pn < panels; pn++) {
          float* dst = bt + pn * g.P * kPanel;
          const int64_t o0 = pn * kPanel, on = std::min(kPanel, g.Og - o0);
          if (on < kPanel) std::memset(dst, 0, static_cast<size_t>(g.P * kPanel) * sizeof(float));
          for (int64_t o = 0; o < on; o++) {
            const float* src = dyg + (o0 + o) * g.P;
            for (int64_t p = 0; p < g.P; p++) dst[p * kPanel + o] = src[p];
          }
        }
        float* acc = partial + part * partFloats + grp * kRows * accStride;
        for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rowsPerBlock) {
          const int64_t oh1 = std::min(g.OH, oh0 + rowsPerBlock);
          for (int64_t jt = jb; jt < je; jt++) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, g.Kdim - jt * MR));
            for (int64_t pn = 0; pn < panels; pn++) {
              filterTile(base.data() + jt * MR, oh0, oh1, g.OW, g.SH * slab.Wq, bt + pn * g.P * kPanel, acc + jt * MR * accStride + pn * kPanel,
                         accStride, mr);
            }
          }
        }
      }
    }
  });
  // dw[grp][o][j] = sum over parts of partial[part][grp][j][o]: rows j split across the pool, each read
  // along o (contiguous) for every part.
  pool.parallelFor(g.G * g.Kdim, 64, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) {
      const int64_t grp = r / g.Kdim, j = r % g.Kdim;
      const float* src = partial + (grp * kRows + j) * accStride;
      float* dst = dw + grp * g.Og * g.Kdim + j;
      for (int64_t o = 0; o < g.Og; o++) {
        float sum = 0.f;
        for (int64_t part = 0; part < parts; part++) sum += src[part * partFloats + o];
        dst[o * g.Kdim] = sum;
      }
    }
  });
}
