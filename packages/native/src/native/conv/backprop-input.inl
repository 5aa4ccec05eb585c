// ISA fragment (see README.md): the input gradient as forward convolutions. Stride 1: the forward kernel
// on dy with the filter flipped in space and its channels swapped. Stride > 1: one such stride-1
// convolution per stride phase of dx, over only the taps that reach that phase, scattered into dx.

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

void backpropInput(const ConvGeom& g, const float* dy, const FilterRef& filter, float* dx, ThreadPool& pool) {
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
  const FilterRef f = filter.derived(layoutKey({4}), [&]() -> const float* {
    std::vector<int64_t> khs, kws;
    for (int64_t k = g.KH - 1; k >= 0; k--) khs.push_back(k);
    for (int64_t k = g.KW - 1; k >= 0; k--) kws.push_back(k);
    flipped.resize(static_cast<size_t>(g.filterSize));
    swapFilterTaps(g, filter.weights(), khs, kws, flipped.data());
    return flipped.data();
  });
  forwardConv(t, dy, f, nullptr, nullptr, false, dx, pool);
}
