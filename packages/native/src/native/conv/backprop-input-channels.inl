// ISA fragment (see README.md): the strided input gradient with dx's channels in the vector lanes (8 and 16
// lanes). Each stride phase (ph, pw) of dx (rows ph + SH q, columns pw + SW r) is a stride-1 convolution of
// dy with the taps that reach it (flipped, channels swapped); here every phase reads one zero-padded copy of
// a band of dy rows, and a channel-lane tile like the forward's (forward-channels.inl) computes MP positions
// of a phase x 2N dx channels: positions may sit anywhere, so phase rows of any width fill the tile. The sums
// go to a position-major buffer per phase (so the dy channels can run in chunks whose filter slice stays
// in L1), and for stride 2 along the row the two column phases are zipped into whole dx rows in registers.

/** Filter taps kh (of K, dilation D) that reach input phase ph under stride S, with their dy offsets d, by d ascending. */
void phaseTaps(int64_t ph, int64_t pad, int64_t K, int64_t D, int64_t stride, std::vector<int64_t>& taps, std::vector<int64_t>& d) {
  taps.clear();
  d.clear();
  for (int64_t k = K - 1; k >= 0; k--) {
    const int64_t v = ph + pad - k * D;
    if (((v % stride) + stride) % stride != 0) continue;
    taps.push_back(k);
    d.push_back(v / stride);
  }
}

/** How dx's stride phases, the padded dy band and the packed filter of the channel-lane input gradient lie. */
struct ChannelDxPlan {
  struct Phase {
    int64_t ph = 0, pw = 0, Hq = 0, Wr = 0, K = 0, packAt = 0;
    std::vector<int64_t> khs, dh, kws, dw, off;
  };
  std::vector<Phase> phases;
  int64_t panels = 0, minD = 0, bandQ = 0, bands = 0, rows = 0, packFloats = 0;
  ConvGeom sg;  // dy as the slab sees it: O channels of OH x OW, padded so that every tap's reads land inside
};

ChannelDxPlan channelDxPlan(const ConvGeom& g, int threads) {
  ChannelDxPlan cp;
  cp.panels = (g.C + kChanPanel - 1) / kChanPanel;
  int64_t padT = 0, padB = 0, padL = 0, padR = 0, maxD = 0, Hq = 0;
  bool anyRows = false;
  for (int64_t ph = 0; ph < g.SH; ph++)
    for (int64_t pw = 0; pw < g.SW; pw++) {
      ChannelDxPlan::Phase f;
      f.ph = ph;
      f.pw = pw;
      f.Hq = ph < g.H ? (g.H - ph + g.SH - 1) / g.SH : 0;
      f.Wr = pw < g.W ? (g.W - pw + g.SW - 1) / g.SW : 0;
      if (f.Hq == 0 || f.Wr == 0) continue;
      Hq = std::max(Hq, f.Hq);
      phaseTaps(ph, g.PT, g.KH, g.DH, g.SH, f.khs, f.dh);
      phaseTaps(pw, g.PL, g.KW, g.DW, g.SW, f.kws, f.dw);
      f.K = g.O * static_cast<int64_t>(f.khs.size() * f.kws.size());
      if (f.K > 0) {
        padT = std::max(padT, -f.dh.front());
        padB = std::max(padB, f.Hq - 1 + f.dh.back() - (g.OH - 1));
        padL = std::max(padL, -f.dw.front());
        padR = std::max(padR, f.Wr - 1 + f.dw.back() - (g.OW - 1));
        cp.minD = anyRows ? std::min(cp.minD, f.dh.front()) : f.dh.front();
        maxD = anyRows ? std::max(maxD, f.dh.back()) : f.dh.back();
        anyRows = true;
      }
      cp.phases.push_back(std::move(f));
    }
  ConvGeom& sg = cp.sg;
  sg = g;
  sg.C = g.O;
  sg.H = g.OH;
  sg.W = g.OW;
  sg.SH = sg.SW = 1;
  sg.PT = padT;
  sg.PB = padB;
  sg.PL = padL;
  sg.PR = padR;
  // Bands of phase rows q (dx rows SH q .. SH q + SH - 1) whose dy rows stay within 160 KiB of L2 (every
  // panel of dx channels walks them), and enough bands to keep the pool busy when the batch is small.
  const int64_t span = maxD - cp.minD;
  const int64_t rowBytes = g.O * (g.OW + padL + padR) * 4;
  cp.bandQ = std::max<int64_t>(1, (160 << 10) / rowBytes - span);
  if (threads > 1 && g.N < 3 * threads) cp.bandQ = std::min(cp.bandQ, std::max<int64_t>(1, Hq * g.N / (3 * threads)));
  cp.bandQ = std::min(cp.bandQ, Hq);
  cp.bands = (Hq + cp.bandQ - 1) / cp.bandQ;
  // Bands of even height: 28 phase rows in 9 + 9 + 9 + 1 had a last band copy two dy rows for one row of work.
  cp.bandQ = (Hq + cp.bands - 1) / cp.bands;
  cp.rows = cp.bandQ + span;
  const Slab slab(sg, 0, cp.rows, nullptr);
  for (ChannelDxPlan::Phase& f : cp.phases) {
    f.packAt = cp.packFloats;
    cp.packFloats += cp.panels * f.K * kChanPanel;
    for (int64_t o = 0; o < g.O; o++)
      for (int64_t d : f.dh)
        for (int64_t e : f.dw) f.off.push_back(o * slab.chanStride + (d - cp.minD) * slab.Wq + e + padL);
  }
  return cp;
}

/**
 * w[o][c][kh][kw] -> per phase: [panel][k][2N] with k = (o, phase tap row, phase tap column), channels past C zero.
 * Panels across the pool; within one, dy channel by dy channel, each tap's 2N channels (9 floats apart in w, the
 * panel's slice of w in L1) go to one whole row of the packed panel, so that every phase's rows are written in
 * order. Scattering w channel by channel over all panels at once took as long as the multiply-adds of a
 * 2x256x14x14 -> 512 input gradient on AVX-512 (Zen 4, 1 thread), where the 4.7 MB filter is packed for 2 images.
 */
void packChannelDxFilter(const ConvGeom& g, const ChannelDxPlan& cp, const float* w, float* out, ThreadPool& pool) {
  const int64_t taps = g.KH * g.KW;
  pool.run(cp.panels, [&](int64_t pn) {
    const int64_t c0 = pn * kChanPanel, cn = std::min<int64_t>(kChanPanel, g.C - c0);
    for (int64_t o = 0; o < g.O; o++) {
      const float* wo = w + (o * g.C + c0) * taps;
      for (const ChannelDxPlan::Phase& f : cp.phases) {
        const int64_t T = static_cast<int64_t>(f.khs.size() * f.kws.size());
        float* dst = out + f.packAt + (pn * f.K + o * T) * kChanPanel;
        for (int64_t kh : f.khs)
          for (int64_t kw : f.kws) {
            const float* src = wo + kh * g.KW + kw;
            if (cn == kChanPanel) {
#pragma GCC unroll 32
              for (int i = 0; i < kChanPanel; i++) dst[i] = src[i * taps];
            } else {
              for (int64_t i = 0; i < kChanPanel; i++) dst[i] = i < cn ? src[i * taps] : 0.f;
            }
            dst += kChanPanel;
          }
      }
    }
  });
}

/**
 * MP positions of a phase (slab pointers pos[i]) x 2N dx channels over K taps, added to the sums at acc (position i's
 * 2N channels at acc + 2N i; start from zero when !load) and stored back there.
 */
template <int MP>
void dxChannelTile(int64_t K, const float* wp, const int64_t* off, const float* const* pos, float* acc, bool load) {
  S::V c0[MP], c1[MP];
#pragma GCC unroll 16
  for (int i = 0; i < MP; i++) {
    c0[i] = load ? S::load(acc + i * kChanPanel) : S::zero();
    c1[i] = load ? S::load(acc + i * kChanPanel + S::N) : S::zero();
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
#pragma GCC unroll 16
  for (int i = 0; i < MP; i++) {
    S::store(acc + i * kChanPanel, c0[i]);
    S::store(acc + i * kChanPanel + S::N, c1[i]);
  }
}

/** N vectors (rows) transposed in place by log2 N rounds of interleaves. */
SN_INLINE void transposeRows(S::V (&r)[S::N]) {
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
}

/**
 * Dx rows ph + SH q (q in [qa, qe)) of nc channels from the sums of its two column phases, even at ev and odd at od
 * (position-major, 2N channels a position, rows of Wr0 and Wr1 positions from row qa): N positions x N channels of
 * each phase transposed in registers, zipped into 2N whole dx floats a channel.
 */
void zipPhaseRows(const ConvGeom& g, int64_t ph, int64_t qa, int64_t qe, int64_t Wr0, int64_t Wr1, const float* ev, const float* od, float* dxc,
                  int nc) {
  const int64_t planeIn = g.H * g.W;
  for (int64_t q = qa; q < qe; q++)
    for (int64_t r0 = 0; r0 < Wr0; r0 += S::N) {
      const int64_t valid = g.W - 2 * r0;
      const uint32_t lo = laneBits(0, std::min<int64_t>(S::N, valid)), hi = laneBits(0, std::min<int64_t>(S::N, valid - S::N));
      float* row = dxc + (ph + g.SH * q) * g.W + 2 * r0;
      for (int h = 0; h < 2 && h * S::N < nc; h++) {
        S::V e[S::N], o[S::N];
#pragma GCC unroll 16
        for (int i = 0; i < S::N; i++) {
          e[i] = S::load(ev + ((q - qa) * Wr0 + r0 + i) * kChanPanel + h * S::N);
          o[i] = S::load(od + ((q - qa) * Wr1 + r0 + i) * kChanPanel + h * S::N);
        }
        transposeRows(e);
        transposeRows(o);
        const int cn = std::min(S::N, nc - h * S::N);
        for (int c = 0; c < cn; c++) {
          float* d = row + (h * S::N + c) * planeIn;
          storeLanes(d, lo, S::zipLo(e[c], o[c]));
          storeLanes(d + S::N, hi, S::zipHi(e[c], o[c]));
        }
      }
    }
}

/**
 * Positions per tile for a phase of `count` positions in a band: kChanMP (6) on 8 lanes. On 16 lanes 8, or 10
 * where that pads the phase less (7x7 phases: 5 tiles of 10 against 7 of 8): kChanMP's 12 keeps 12 dy
 * pointers live, which with the loop's own outgrow x86's 16 general registers. AVX-512 on Zen 4, 1 thread,
 * CPU time, 2 interleaved rounds at load ~29, GFLOP/s with 12 / 8 / this choice: 8x64x56x56 -> 128 75 / 91-93
 * / 83-84, 2x64x56x56 75 / 90-94 / 83-85, 2x128x28x28 -> 256 70-71 / 83-85 / 82-84, 2x256x14x14 -> 512
 * 41-43 / 41-44 / 51-52, 64x32x16x16 -> 64 63-65 / 79-81 / 84, 16x192x16x16 -> 192 71-72 / 92-93 / 93.
 */
int dxTilePositions(int64_t count) {
  if (S::N != 16) return kChanMP;
  auto use = [&](int64_t m) { return static_cast<double>(count) / static_cast<double>((count + m - 1) / m * m); };
  return use(10) > use(8) + 0.02 ? 10 : 8;
}

/** Chunks of dy channels a phase's K taps run in: each chunk's slice of the filter panel (2N floats a tap) in 16 KiB of L1. */
int64_t dxChunks(int64_t K) { return std::max<int64_t>(1, (K * kChanPanel * 4 + (16 << 10) - 1) / (16 << 10)); }

/** Tile calls one panel of a band makes: every phase's tiles, once per chunk of dy channels. */
int64_t dxTiles(const ConvGeom& g, const ChannelDxPlan& cp, int64_t qa, int64_t qb) {
  int64_t tiles = 0;
  for (const ChannelDxPlan::Phase& f : cp.phases) {
    const int64_t count = (std::min(qb, f.Hq) - qa) * f.Wr;
    if (count <= 0) continue;
    const int64_t nChunks = dxChunks(f.K), chunk = (g.O + nChunks - 1) / nChunks;
    const int64_t TP = dxTilePositions(count);
    tiles += (g.O + chunk - 1) / chunk * ((count + TP - 1) / TP);
  }
  return tiles;
}

/**
 * Runs of whole lines, one per channel plane (runs floats from base, planes apart), fetched toward L2 (Write: for a
 * store) `step` lines a call, so that a known number of calls (the tiles that run meanwhile) fetch them all: each
 * plane is a page or two, which the hardware prefetchers do not follow from one to the next.
 */
template <bool Write>
struct PlaneLines {
  const float* run;
  const float* at;
  int64_t plane, runLines, left, step, inRun = 0;
  PlaneLines(const float* base, int64_t plane_, int64_t planes, int64_t runFloats, int64_t calls)
      : run(base), at(base), plane(plane_), runLines(runFloats > 0 ? (runFloats + 15) / 16 : 0), left(planes * runLines),
        step((left + calls - 1) / std::max<int64_t>(1, calls)) {}
  SN_INLINE void fetch() {
    for (int64_t i = std::min(step, left); i > 0; i--) {
      __builtin_prefetch(at, Write ? 1 : 0, 1);
      left--;
      at += 16;
      if (++inRun == runLines) {
        inRun = 0;
        run += plane;
        at = run;
      }
    }
  }
};

void backpropInputChannels(const ConvGeom& g, const float* dy, const FilterRef& filter, float* dx, ThreadPool& pool) {
  constexpr int MP = kChanMP;
  const ChannelDxPlan cp = channelDxPlan(g, pool.size());
  const FilterCache::Packed packed =
      filter.packed(layoutKey({7, g.C, g.O, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.H, g.W, kChanPanel}),
                    static_cast<size_t>(cp.packFloats), [&](const float* raw, float* out) { packChannelDxFilter(g, cp, raw, out, pool); });
  const float* wp = packed->data();
  const int64_t planeIn = g.H * g.W;
  // Each phase's sums for a band, position-major (2N channels a position), with room for the last tile and
  // for the N positions the zip reads past a row.
  std::vector<int64_t> accAt(cp.phases.size() + 1, 0);
  for (size_t j = 0; j < cp.phases.size(); j++) {
    const int64_t count = std::min(cp.bandQ, cp.phases[j].Hq) * cp.phases[j].Wr;
    accAt[j + 1] = accAt[j] + ((count + MP - 1) / MP * MP + S::N) * kChanPanel;
  }
  // Column phases zipped in registers: stride 2 along the row with both phases present.
  const bool zip = g.SW == 2 && cp.phases.size() == 2 * static_cast<size_t>(g.SH);
  // While a panel's tiles run, the dx rows its zip will store and a share of the next band's dy rows are fetched
  // toward L2: the zip's stores had waited on memory (6% of an AVX-512 8x64x56x56 -> 128 input gradient) and so
  // had the next band's copy. Zen 4, 1 thread, CPU time, isa-check, 3 rounds interleaved with main at load 5-6,
  // GFLOP/s: that layer 93-96 -> 97-100 on AVX-512, 92-94 -> 94-97 on AVX2. Only where the packed filter leaves
  // L2 room (half of 1 MiB or less): a bigger one is read from L3 per panel, and 2x128x28x28 -> 256 (1.2 MB)
  // measured even or slower with the fetched lines evicting it.
  const bool ahead = cp.packFloats * 4 <= (512 << 10);
  pool.run(g.N * cp.bands, [&](int64_t task) {
    const int64_t n = task / cp.bands, qa = task % cp.bands * cp.bandQ, qb = qa + cp.bandQ;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(cp.sg, cp.rows, g.O)), kSlabSlot);
    float* acc = scratch(static_cast<size_t>(accAt.back()), kPhaseSlot);
    // Padded dy rows qa + minD .. of the band (rows past the image read as zero).
    Slab slab(cp.sg, qa + cp.minD + cp.sg.PT, cp.rows, buffer);
    slab.fill(cp.sg, dy + n * g.O * g.OH * g.OW, 0, g.O);
    float* dxn = dx + n * g.C * planeIn;
    const int64_t tileCalls = std::max<int64_t>(1, dxTiles(g, cp, qa, qb));
    // The dy rows the next task's band copies (the pool gives each thread a run of consecutive tasks).
    const int64_t nn = (task + 1) / cp.bands, qn = (task + 1) % cp.bands * cp.bandQ + cp.minD;
    const int64_t dy0 = std::max<int64_t>(0, qn), dy1 = std::min(g.OH, qn + cp.rows);
    const bool last = task + 1 == g.N * cp.bands;
    PlaneLines<false> dyLines(last ? dy : dy + (nn * g.O * g.OH + dy0) * g.OW, g.OH * g.OW, last ? 0 : g.O, (dy1 - dy0) * g.OW,
                              cp.panels * tileCalls);
    for (int64_t pn = 0; pn < cp.panels; pn++) {
      const int64_t c0 = pn * kChanPanel;
      const int nc = static_cast<int>(std::min<int64_t>(kChanPanel, g.C - c0));
      float* dxc = dxn + c0 * planeIn;
      // The dx rows this panel's zip stores, and a share of the next band's dy rows, fetched while its tiles run.
      const int64_t ih0 = g.SH * qa, ih1 = std::min(g.H, g.SH * qb);
      PlaneLines<true> dxLines(dxc + ih0 * g.W, planeIn, nc, (ih1 - ih0) * g.W, tileCalls);
      for (size_t j = 0; j < cp.phases.size(); j++) {
        const ChannelDxPlan::Phase& f = cp.phases[j];
        const int64_t count = (std::min(qb, f.Hq) - qa) * f.Wr;
        if (count <= 0) continue;
        const int64_t T = f.K / g.O;
        // Chunks of dy channels whose slice of the phase's filter panel (T taps x 2N floats a channel) stays in
        // 16 KiB of L1 while every tile of the band walks it; the sums go through acc between chunks.
        const int64_t nChunks = dxChunks(f.K);
        const int64_t chunk = (g.O + nChunks - 1) / nChunks;
        const float* wpf = wp + f.packAt + pn * f.K * kChanPanel;
        float* accf = acc + accAt[j];
        for (int64_t o0 = 0; o0 < g.O; o0 += chunk) {
          const int64_t on = std::min(chunk, g.O - o0);
          auto tiles = [&](auto mpc, auto fetch) {
            constexpr int TP = decltype(mpc)::value;
            for (int64_t v0 = 0; v0 < count; v0 += TP) {
              const float* pos[TP];
              int64_t q = v0 / f.Wr, r = v0 % f.Wr;
              for (int i = 0; i < TP; i++) {
                // Positions past the phase repeat the last one (computed into the spare room, not stored to dx).
                pos[i] = buffer + q * slab.Wq + r;
                if (v0 + i + 1 < count && ++r == f.Wr) {
                  r = 0;
                  q++;
                }
              }
              dxChannelTile<TP>(on * T, wpf + o0 * T * kChanPanel, f.off.data() + o0 * T, pos, accf + v0 * kChanPanel, o0 > 0);
              if constexpr (decltype(fetch)::value) {
                dxLines.fetch();
                dyLines.fetch();
              }
            }
          };
          // The 10-position tile keeps 10 dy pointers live and none fetches ahead (its loop reloaded a spilled
          // register per tap with the fetch state live).
          if constexpr (S::N == 16) {
            if (dxTilePositions(count) == 10) {
              tiles(std::integral_constant<int, 10>{}, std::false_type{});
            } else if (ahead) {
              tiles(std::integral_constant<int, 8>{}, std::true_type{});
            } else {
              tiles(std::integral_constant<int, 8>{}, std::false_type{});
            }
          } else if (ahead) {
            tiles(std::integral_constant<int, MP>{}, std::true_type{});
          } else {
            tiles(std::integral_constant<int, MP>{}, std::false_type{});
          }
        }
      }
      if (zip) {
        for (size_t j = 0; j < cp.phases.size(); j += 2) {
          const ChannelDxPlan::Phase& f = cp.phases[j];
          const int64_t qe = std::min(qb, f.Hq);
          if (qe > qa) zipPhaseRows(g, f.ph, qa, qe, f.Wr, cp.phases[j + 1].Wr, acc + accAt[j], acc + accAt[j + 1], dxc, nc);
        }
        continue;
      }
      for (size_t j = 0; j < cp.phases.size(); j++) {
        const ChannelDxPlan::Phase& f = cp.phases[j];
        const int64_t count = (std::min(qb, f.Hq) - qa) * f.Wr;
        for (int64_t v = 0; v < count; v++) {
          const float* a = acc + accAt[j] + v * kChanPanel;
          float* d = dxc + (f.ph + g.SH * (qa + v / f.Wr)) * g.W + f.pw + g.SW * (v % f.Wr);
          for (int c = 0; c < nc; c++) d[c * planeIn] = a[c];
        }
      }
    }
  });
}

/**
 * Strided 8- and 16-lane layers of 9 taps and more whose dx channels fill whole channel panels and whose dx
 * phase rows fill the paired-column tile's position vectors badly (a width not a multiple of N: 28 columns
 * in 4 vectors). On 8 lanes also phases of 4 tiles or more (each chunk of the filter panel serves every
 * tile of a band). AVX2 (Zen 2), 1 thread, CPU time, medians of 8 interleaved rounds, load ~5, against
 * the paired kernel: 8x64x56x56 3x3/2 -> 128 +17%, 2x64x56x56 +20%, 2x128x28x28 -> 256 +11%;
 * ResNet-20's 16-column phases (64x16x32x32 -> 32) and 32x96x32x32 even. 2x256x14x14 -> 512 (7x7 phases,
 * 9 tiles of 6) had run 12% slower while this kernel's filter pack scattered w channel by channel; with the
 * pack by panel rows 52-58 -> 70-73 GFLOP/s (AVX2 on Zen 4, 1 thread, CPU time, 3 interleaved rounds, load ~11). On 16 lanes (32-channel panels, 12 positions a tile) every such size: the paired
 * tile half fills its vectors there (8-column phases of 16x16 inputs, 7 of 14x14). AVX-512 on Zen 4, 1
 * thread, CPU time, interleaved rounds at load ~15, GFLOP/s against the per-phase kernels it replaces (and
 * the paired 8 x 2 tile): 2x128x28x28 -> 256 48-55 -> 76-81, 8x64x56x56 -> 128 72-75 -> 85, 2x64x56x56
 * 72-77 -> 82-85, 2x256x14x14 -> 512 25-32 (34-36) -> 44-49, 64x32x16x16 -> 64 60-62 (49) -> 71-73,
 * 16x192x16x16 -> 192 69-74 (52) -> 79-80.
 */
constexpr bool kChannelDxLanes = S::N == 8 || S::N == 16;
bool channelDxFits(const ConvGeom& g) {
  if (!kChannelDxLanes || g.G != 1 || (g.SH == 1 && g.SW == 1) || g.KH * g.KW < 9 || g.C % kChanPanel != 0) return false;
  const int64_t rowWidth = (g.W + g.SW - 1) / g.SW, rowsQ = (g.H + g.SH - 1) / g.SH;
  return rowWidth % S::N != 0 && (S::N == 16 || rowWidth * rowsQ >= 4 * kChanMP);
}
