// ISA fragment (see README.md): the forward kernel with output channels in the vector lanes, for layers
// whose output rows fill position vectors badly but whose channels fill channel vectors well (LeNet's
// C3: 10-column rows use 10 of 16 lanes, its 16 channels all of them; 6x6 and 7x7 outputs of deep
// layers). A tile is MP output positions x 2 vectors of output channels: per filter tap two filter
// vectors are loaded and MP input values broadcast straight from the padded slab, so positions may sit
// anywhere (rows need not fill a vector). The tile is transposed into the NCHW output on store.

constexpr int kChanMP = S::kFilterMR;
constexpr int64_t kChanPanel = 2 * S::N;

/** Share of the multiply-adds that do useful work: channel lanes x positions of the MP-position tiles. */
double channelTileUse(const ConvGeom& g) {
  const int64_t panels = (g.Og + kChanPanel - 1) / kChanPanel;
  const int64_t tiles = (g.P + kChanMP - 1) / kChanMP;
  return static_cast<double>(g.Og) / static_cast<double>(panels * kChanPanel) * static_cast<double>(g.P) /
         static_cast<double>(tiles * kChanMP);
}

/** Floats of the channel-panel filter: w[grp][panel][k][2N], channels past Og zero. */
int64_t channelFilterFloats(const ConvGeom& g) { return g.G * ((g.Og + kChanPanel - 1) / kChanPanel) * g.Kdim * kChanPanel; }

/** Rows v[0..MP) (zero past MP) of an N x N block transposed: column c stored at d + c * P. */
template <int MP>
SN_INLINE void storeTransposed(const S::V* v, float* d, int64_t P) {
  S::V r[S::N];
#pragma GCC unroll 16
  for (int j = 0; j < S::N; j++) r[j] = j < MP ? v[j] : S::zero();
  if constexpr (S::N == 8) {
    // 4 x 4 transposes within the halves of rows 0-3 and 4-7 (two rounds of in-half interleaves), then the
    // halves joined: 24 shuffles, where three rounds of whole-vector zips take 48 on AVX2.
    S::V h[8];
#pragma GCC unroll 2
    for (int q = 0; q < 2; q++) {
      const S::V* u = r + 4 * q;
      const S::V a = S::zip4Lo(u[0], u[2]), b = S::zip4Hi(u[0], u[2]), c = S::zip4Lo(u[1], u[3]), e = S::zip4Hi(u[1], u[3]);
      // h[4q + k]: column k of these 4 rows in the low half, column k + 4 in the high half.
      h[4 * q] = S::zip4Lo(a, c);
      h[4 * q + 1] = S::zip4Hi(a, c);
      h[4 * q + 2] = S::zip4Lo(b, e);
      h[4 * q + 3] = S::zip4Hi(b, e);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      S::store(d + k * P, S::joinLo(h[k], h[4 + k]));
      S::store(d + (k + 4) * P, S::joinHi(h[k], h[4 + k]));
    }
    return;
  }
#pragma GCC unroll 4
  for (int round = 1; round < S::N; round *= 2) {
    S::V t[S::N];
#pragma GCC unroll 16
    for (int j = 0; j < S::N / 2; j++) {
      t[2 * j] = S::zipLo(r[j], r[j + S::N / 2]);
      t[2 * j + 1] = S::zipHi(r[j], r[j + S::N / 2]);
    }
#pragma GCC unroll 16
    for (int j = 0; j < S::N; j++) r[j] = t[j];
  }
#pragma GCC unroll 16
  for (int c = 0; c < S::N; c++) S::store(d + c * P, r[c]);
}

/**
 * w[grp][o][k] -> out[grp][panel][k][2N], channels past Og zero. Each N channels x N taps block is transposed
 * in registers (the filter is packed on every call of a training step: one scalar store per float, a panel
 * row apart, took several percent of ResNet-18's 28x28 stride-2 layer).
 */
void packChannelFilter(const ConvGeom& g, const float* w, float* out) {
  const int64_t panels = (g.Og + kChanPanel - 1) / kChanPanel, K = g.Kdim, kv = K / S::N * S::N;
  for (int64_t grp = 0; grp < g.G; grp++)
    for (int64_t pn = 0; pn < panels; pn++)
      for (int64_t h = 0; h < 2; h++) {
        const int64_t o0 = pn * kChanPanel + h * S::N, real = std::max<int64_t>(0, std::min<int64_t>(S::N, g.Og - o0));
        const float* src = w + (grp * g.Og + o0) * K;
        float* dst = out + (grp * panels + pn) * K * kChanPanel + h * S::N;
        int64_t k = 0;
        if (real == S::N) {
          for (; k < kv; k += S::N) {
            S::V v[S::N];
#pragma GCC unroll 16
            for (int j = 0; j < S::N; j++) v[j] = S::load(src + j * K + k);
            storeTransposed<S::N>(v, dst + k * kChanPanel, kChanPanel);
          }
        }
        for (; k < K; k++)
          for (int64_t j = 0; j < S::N; j++) dst[k * kChanPanel + j] = j < real ? src[j * K + k] : 0.f;
      }
}

/**
 * The end of a tile of MP positions x 2N channels (sums c0, c1; nc channels and np positions real): bias,
 * residual and relu; channel c of position i goes to dst[i][c * P] after adding res[i][c * P] (res null: no
 * residual). room: the N positions from dst[0] on belong to the call, and those past the tile are stored later.
 */
template <int MP>
SN_INLINE void finishChannelTile(S::V* c0, S::V* c1, float* const* dst, const float* const* res, int np, int nc, int64_t P, const float* bias,
                                 bool relu, bool room) {
  float tmp[MP][kChanPanel];
  const S::V zero = S::zero();
  const S::V b0 = bias ? S::load(bias) : zero, b1 = bias ? S::load(bias + S::N) : zero;
  // With a residual the sum is finished per element on the transposed store below.
  const bool vecRelu = relu && !res;
#pragma GCC unroll 16
  for (int i = 0; i < MP; i++) {
    c0[i] = S::add(c0[i], b0);
    c1[i] = S::add(c1[i], b1);
    if (vecRelu) {
      c0[i] = S::max(zero, c0[i]);
      c1[i] = S::max(zero, c1[i]);
    }
  }
  if constexpr (S::N == 8 && MP <= S::N) {
    if (room && !res && np == MP && nc == kChanPanel && dst[MP - 1] == dst[0] + (MP - 1)) {
      // Consecutive positions with room after them (a later tile of the call stores there): the tile
      // transposed in registers by three rounds of interleaves, one full vector a channel (lanes past MP
      // hold zeros until that tile overwrites them), instead of 96 scalar stores.
      float* d = dst[0];
      storeTransposed<MP>(c0, d, P);
      storeTransposed<MP>(c1, d + S::N * P, P);
      return;
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MP; i++) {
    S::store(tmp[i], c0[i]);
    S::store(tmp[i] + S::N, c1[i]);
  }
  if (res) {
    for (int i = 0; i < np; i++) {
      float* d = dst[i];
      const float* q = res[i];
      for (int c = 0; c < nc; c++) {
        const float v = tmp[i][c] + q[c * P];
        // Keeps NaN as NaN, like max(0, v) above.
        d[c * P] = relu && v < 0.f ? 0.f : v;
      }
    }
    return;
  }
  if (np == MP && nc == kChanPanel) {
    // A whole tile of evenly spaced positions (consecutive in the forward, a stride apart in a phase of
    // the strided input gradient; all but an image's last tile and those across a row end): constant
    // trip counts, no per-lane bounds, and each channel's positions stored close together.
    const int64_t step = dst[1] - dst[0];
    bool even = true;
#pragma GCC unroll 16
    for (int i = 2; i < MP; i++) even = even && dst[i] - dst[i - 1] == step;
    if (even) {
      float* d = dst[0];
      if (step == 1) {
#pragma GCC unroll 32
        for (int c = 0; c < kChanPanel; c++)
#pragma GCC unroll 16
          for (int i = 0; i < MP; i++) d[c * P + i] = tmp[i][c];
        return;
      }
#pragma GCC unroll 32
      for (int c = 0; c < kChanPanel; c++)
#pragma GCC unroll 16
        for (int i = 0; i < MP; i++) d[c * P + i * step] = tmp[i][c];
      return;
    }
  }
  for (int i = 0; i < np; i++) {
    float* d = dst[i];
    for (int c = 0; c < nc; c++) d[c * P] = tmp[i][c];
  }
}

/**
 * MP positions (slab pointers pos[i], output pointers dst[i] at channel 0 of the panel) x 2N channels
 * (nc of them real) over K taps, then finishChannelTile. Chunked (forwardChannelsBlocked: the taps of a chunk of
 * input channels): the sums start from zero (first) or from acc (MP x 2N floats), and go back to acc unless this is
 * the last chunk, which finishes the tile.
 */
template <bool Chunked = false>
void channelTile(int64_t K, const float* wp, const int64_t* off, const float* const* pos, float* const* dst, const float* const* res, int np, int nc,
                 int64_t P, const float* bias, bool relu, bool room, float* acc = nullptr, bool first = true, bool last = true) {
  constexpr int MP = kChanMP;
  S::V c0[MP], c1[MP];
#pragma GCC unroll 16
  for (int i = 0; i < MP; i++) {
    c0[i] = !Chunked || first ? S::zero() : S::load(acc + i * kChanPanel);
    c1[i] = !Chunked || first ? S::zero() : S::load(acc + i * kChanPanel + S::N);
  }
  for (int64_t k = 0; k < K; k++) {
    const S::V w0 = S::load(wp), w1 = S::load(wp + S::N);
    const int64_t o = off[k];
#pragma GCC unroll 16
    for (int i = 0; i < MP; i++) {
      const S::V a = S::set1(pos[i][o]);
      c0[i] = S::fma(a, w0, c0[i]);
      c1[i] = S::fma(a, w1, c1[i]);
    }
    wp += kChanPanel;
  }
  if (Chunked && !last) {
#pragma GCC unroll 16
    for (int i = 0; i < MP; i++) {
      S::store(acc + i * kChanPanel, c0[i]);
      S::store(acc + i * kChanPanel + S::N, c1[i]);
    }
    return;
  }
  finishChannelTile<MP>(c0, c1, dst, res, np, nc, P, bias, relu, room);
}

/** One panel of output channels over one band of output rows of one image, as a channel-lane driver hands it to its sweep. */
struct ChannelPanel {
  const float* slab;     // the band's slab (its first row is padded row r0)
  const int64_t* off;    // slab offset of each tap (c, kh, kw), in filter order
  const int64_t* posAt;  // slab offset of each output position in a whole-image slab
  int64_t r0Off;         // posAt[p] - r0Off: the offset in the band's slab
  int64_t phaseStride;   // floats from one column phase of a slab row to the next
  int64_t oh0, oh1;      // the band's output rows
  float* y;              // the output at the panel's first channel, position 0
  const float* res;      // the residual likewise, or null
  const float* w;        // the panel's packed filter, w[k][2N]
  const float* bias;     // the panel's bias padded to 2N, or null
  int nc;                // real channels of the panel
};

/**
 * The driver of the channel-lane kernels: tasks of (image, group, band of output rows), each filling its
 * slab once and calling sweep(ChannelPanel) for every panel of 2N output channels.
 */
template <class Sweep>
void channelLaneForward(const ConvGeom& g, const float* x, const float* wp, const float* bias, const float* residual, float* y, ThreadPool& pool,
                        const Sweep& sweep) {
  const int64_t panels = (g.Og + kChanPanel - 1) / kChanPanel;
  // The bias padded to whole panels, so the tile loads it as two full vectors.
  std::vector<float> biasPad(static_cast<size_t>(g.G * panels * kChanPanel), 0.f);
  if (bias)
    for (int64_t grp = 0; grp < g.G; grp++)
      for (int64_t o = 0; o < g.Og; o++) biasPad[static_cast<size_t>((grp * panels + o / kChanPanel) * kChanPanel + o % kChanPanel)] = bias[grp * g.Og + o];
  // Slab offset of each position in a whole-image slab, the same for every image: no divisions per tile
  // (a band's slab starts r0 rows down, Wq floats a row).
  const int64_t Wq = Slab(g, 0, 1, nullptr).Wq;
  // (Row by row: a division per position cost the 112x112 stem 0.15 ms a call, before any thread starts.)
  std::vector<int64_t> posAt(static_cast<size_t>(g.P));
  for (int64_t oh = 0, p = 0; oh < g.OH; oh++)
    for (int64_t ow = 0; ow < g.OW; ow++) posAt[static_cast<size_t>(p++)] = oh * g.SH * Wq + ow;
  // Bands of output rows where images alone leave the pool short of tasks (batch 1 or 2 inference): a
  // thread that wakes late then finds work left, and each band fills only the slab rows it reads; and bands
  // whose slab stays in L2 (slabL2Bands: AVX2, 1 thread, CPU time, medians of 8 interleaved rounds, load
  // ~11, GFLOP/s: 2x64x56x56 3x3/2 -> 128 49 -> 61, 8x64x56x56 52 -> 57, 2x128x28x28 -> 256 49 -> 52, 32x96x32x32
  // -> 96 51 -> 55; stem 7x7/2 2x3x224x224 -> 64 66 -> 71 in 6 rounds).
  const int64_t units = g.N * g.G, threads = pool.size();
  const int64_t bands = std::max(slabL2Bands(g), threads > 1 && units < 3 * threads ? std::min<int64_t>(g.OH, (3 * threads + units - 1) / units) : 1);
  pool.run(units * bands, [&](int64_t t) {
    const int64_t n = t / bands / g.G, grp = t / bands % g.G, band = t % bands;
    const int64_t oh0 = g.OH * band / bands, oh1 = g.OH * (band + 1) / bands;
    if (oh0 >= oh1) return;
    const int64_t r0 = oh0 * g.SH, rows = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1 - r0;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, g.Cg)), kSlabSlot);
    Slab slab(g, r0, rows, buffer);
    slab.fill(g, x + n * g.C * g.H * g.W, grp * g.Cg, g.Cg);
    // Each thread's, resized, not freed, between tasks: from about 128 taps its block was a request (1 KiB) that made malloc
    // consolidate its fast bins, once a task (s45, LeNet-5 C3: most of a b2 inference pass's consolidations).
    thread_local std::vector<int64_t> off;
    off.resize(static_cast<size_t>(g.Kdim));
    for (int64_t c = 0, k = 0; c < g.Cg; c++)
      for (int64_t kh = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++) off[static_cast<size_t>(k++)] = slab.tap(g, c, kh, kw);
    float* yn = y + (n * g.O + grp * g.Og) * g.P;
    const float* rn = residual ? residual + (n * g.O + grp * g.Og) * g.P : nullptr;
    for (int64_t pn = 0; pn < panels; pn++) {
      const int64_t o0 = pn * kChanPanel;
      ChannelPanel cp{buffer,
                      off.data(),
                      posAt.data(),
                      r0 * Wq,
                      slab.phaseStride,
                      oh0,
                      oh1,
                      yn + o0 * g.P,
                      rn ? rn + o0 * g.P : nullptr,
                      wp + ((grp * panels + pn) * g.Kdim) * kChanPanel,
                      bias ? biasPad.data() + (grp * panels + pn) * kChanPanel : nullptr,
                      static_cast<int>(std::min<int64_t>(kChanPanel, g.Og - o0))};
      sweep(cp);
    }
  });
}

/** Taps a chunk of input channels holds at most in forwardChannelsBlocked (its filter rows: 16 KiB on 8 lanes). */
constexpr int64_t kBlockedTaps = 256;

/**
 * Whether forwardChannels runs blocked (forwardChannelsBlocked): 8 lanes, strided, no groups, a filter of 128 KiB or more
 * and at most 128 output positions in the batch (ResNet-18's 3x3/2 and 1x1/2 layers to 512 channels at batch 2: 98).
 * The band-by-band driver streams every panel of the filter once per band and image, each time for a few tiles (at 2
 * threads 3 bands an image: about 3 tiles a panel stream of 147 KiB for 3x3/2 256 -> 512). Zen 5, isa-check --bench-only
 * "2x128x28x28 * 256|2x256x14x14 * 512" --columns const --cpu-time --threads 1,2, 4 rounds interleaved with main's build
 * (d1efeb2) at load 11-13: 2x256x14x14 -> 512 3x3/2 2 threads 70-76 -> 87-92 GFLOP/s per CPU-second, 1 thread 67-76% ->
 * 75-80% of the FMA peak; 1x1/2 2 threads 65-73 -> 79-81, 1 thread 66-69% -> 66-75%. By the wall clock at 2 threads
 * (chrt -f 10, 3 rounds) both measured even. In the model (bench/model-profile.ts resnet18 2 infer --isa=avx2 --cpu-time,
 * 6 rounds alternated with main's addon, load 9-11), CPU ms medians: 3x3/2 1 thread 3.69 -> 3.45, 2 threads 3.86 -> 3.43;
 * 1x1/2 0.81 -> 0.74, 0.82 -> 0.70. More positions measured even or slower: 2x128x28x28 -> 256 3x3/2 (392)
 * even on CPU time but 185-188 -> 133-138 GFLOP/s at 2 threads by the wall clock, 16x192x16x16 -> 192 3x3/2 (3.7 MB of
 * slabs) 84-88 -> 69-71 on 1 thread.
 */
bool channelsBlockedFits(const ConvGeom& g) {
  return S::N == 8 && g.G == 1 && (g.SH > 1 || g.SW > 1) && g.Kdim * g.Og * 4 >= (int64_t{128} << 10) && g.N * g.P <= 128;
}

/**
 * The channel-lane forward with the taps in chunks of whole input channels (kBlockedTaps): the slabs of every image are
 * filled once (a task an image), then each task takes a panel of 2N output channels and runs every chunk over all the
 * batch's tiles of MP positions (laid end to end over the images), so that the chunk's filter rows stay in L1 while the
 * tiles read it, and the panel is read from memory once a call. Partial sums wait in a per-thread buffer between chunks.
 */
void forwardChannelsBlocked(const ConvGeom& g, const float* x, const float* wp, const float* bias, const float* residual, bool relu, float* y,
                            ThreadPool& pool) {
  constexpr int MP = kChanMP;
  const int64_t panels = (g.Og + kChanPanel - 1) / kChanPanel;
  const int64_t rows = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1, slabFloats = Slab::floats(g, rows, g.C);
  float* slabs = scratch(static_cast<size_t>(g.N * slabFloats), kSlabSlot);
  const Slab shape(g, 0, rows, slabs);
  pool.run(g.N, [&](int64_t n) {
    Slab slab(g, 0, rows, slabs + n * slabFloats);
    slab.fill(g, x + n * g.C * g.H * g.W, 0, g.C);
  });
  std::vector<float> biasPad(static_cast<size_t>(panels * kChanPanel), 0.f);
  if (bias) std::copy(bias, bias + g.O, biasPad.begin());
  std::vector<int64_t> posAt(static_cast<size_t>(g.P)), off(static_cast<size_t>(g.Kdim));
  for (int64_t oh = 0, p = 0; oh < g.OH; oh++)
    for (int64_t ow = 0; ow < g.OW; ow++) posAt[static_cast<size_t>(p++)] = oh * g.SH * shape.Wq + ow;
  for (int64_t c = 0, k = 0; c < g.C; c++)
    for (int64_t kh = 0; kh < g.KH; kh++)
      for (int64_t kw = 0; kw < g.KW; kw++) off[static_cast<size_t>(k++)] = shape.tap(g, c, kh, kw);
  const int64_t khw = g.KH * g.KW, chunkC = std::max<int64_t>(1, kBlockedTaps / khw), total = g.N * g.P, tiles = (total + MP - 1) / MP;
  pool.run(panels, [&](int64_t pn) {
    const int64_t o0 = pn * kChanPanel;
    const int nc = static_cast<int>(std::min<int64_t>(kChanPanel, g.O - o0));
    float* acc = scratch(static_cast<size_t>(tiles * MP * kChanPanel), kPanelSlot);
    const float* wpn = wp + pn * g.Kdim * kChanPanel;
    for (int64_t c0 = 0; c0 < g.C; c0 += chunkC) {
      const int64_t k0 = c0 * khw, kc = std::min(chunkC, g.C - c0) * khw;
      const bool first = c0 == 0, last = c0 + chunkC >= g.C;
      for (int64_t tl = 0; tl < tiles; tl++) {
        const float* pos[MP];
        float* dst[MP];
        const float* res[MP];
        const int64_t q0 = tl * MP;
        const int np = static_cast<int>(std::min<int64_t>(MP, total - q0));
        for (int i = 0; i < MP; i++) {
          // Positions past the batch repeat the last one (computed, not stored).
          const int64_t q = q0 + std::min(i, np - 1), n = q / g.P, p = q % g.P;
          pos[i] = slabs + n * slabFloats + posAt[static_cast<size_t>(p)];
          dst[i] = y + (n * g.O + o0) * g.P + p;
          res[i] = residual ? residual + (n * g.O + o0) * g.P + p : nullptr;
        }
        // Room: the vector's positions from q0 on lie in one image and a later tile of this panel stores those past the tile.
        const bool room = q0 / g.P == (q0 + S::N - 1) / g.P && q0 + S::N <= total;
        channelTile<true>(kc, wpn + k0 * kChanPanel, off.data() + k0, pos, dst, residual ? res : nullptr, np, nc, g.P,
                          bias ? biasPad.data() + o0 : nullptr, relu, room, acc + tl * MP * kChanPanel, first, last);
      }
    }
  });
}

void forwardChannels(const ConvGeom& g, const float* x, const float* wp, const float* bias, const float* residual, bool relu, float* y,
                     ThreadPool& pool) {
  constexpr int MP = kChanMP;
  if (channelsBlockedFits(g)) {
    forwardChannelsBlocked(g, x, wp, bias, residual, relu, y, pool);
    return;
  }
  channelLaneForward(g, x, wp, bias, residual, y, pool, [&](const ChannelPanel& cp) {
    const int64_t pBegin = cp.oh0 * g.OW, pEnd = cp.oh1 * g.OW;
    const int64_t tiles = (pEnd - pBegin + MP - 1) / MP;
    for (int64_t tl = 0; tl < tiles; tl++) {
      const float* pos[MP];
      float* dst[MP];
      const float* res[MP];
      const int64_t p0 = pBegin + tl * MP;
      const int np = static_cast<int>(std::min<int64_t>(MP, pEnd - p0));
      for (int i = 0; i < MP; i++) {
        // Positions past the band repeat the last one (computed, not stored).
        const int64_t p = p0 + std::min(i, np - 1);
        pos[i] = cp.slab + (cp.posAt[p] - cp.r0Off);
        dst[i] = cp.y + p;
        res[i] = cp.res ? cp.res + p : nullptr;
      }
      // Room after the tile: positions up to a vector's width past it are the band's, stored by a later tile.
      channelTile(g.Kdim, cp.w, cp.off, pos, dst, cp.res ? res : nullptr, np, cp.nc, g.P, cp.bias, relu, p0 + S::N <= pEnd);
    }
  });
}
