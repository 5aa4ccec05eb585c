// ISA fragment (included by src/native/isa/<isa>.cc after planes.inl, pairs-grad.inl and window3s2-grad.inl): the
// average-pool gradient of one channel plane. ResNet's 3x3/2 pad 1 geometry (maxPoolGradWindow3s2Fits) runs the
// max-pool gradient's route and plane walk (window3s2-grad.inl) with every window's dy / divisor in place of the
// routed dy; 2-wide windows at stride 2 that do not overlap (poolPairsFit) store each window's dy / divisor into
// its cells (S::dupPairs), every dx cell once.
// Any other window, stride and padding runs the forward pass (planes.inl) transposed. Each output
// row's dy * (1 / divisor) is spread along the row into the phase-split buffer (tap kw of N outputs: one
// load, add and store in phase kw % SW), the phases are interleaved back into a padded row (stride 2 by
// vector zips, larger strides by scalar copies), and that row is added to every input row of the window
// (dx zeroed first).

void avgPoolGradPlane(const PoolGeom& g, const float* dy, const float* inv, float* dx) {
  constexpr int64_t N = S::N;
  // Phases as in PhaseRows; then the padded row in column order (PL + W + PR columns, vectors of 2N).
  const int64_t len = (g.W + g.PL + g.PR + 2 * N) / g.SW + g.WW + 2 * N + 4;
  const int64_t padded = g.PL + g.W + g.PR + 4 * N;
  float* phases = scratch(static_cast<size_t>(g.SW * len + padded), kSlabSlot);
  float* row = g.SW == 1 ? phases : phases + g.SW * len;
  std::fill(dx, dx + g.H * g.W, 0.f);
  for (int64_t oh = 0; oh < g.OH; oh++) {
    std::fill(phases, phases + g.SW * len, 0.f);
    const float* d = dy + oh * g.OW;
    const float* iv = inv + oh * g.OW;
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += N) {
      // Lanes past the last output read 0, so they add nothing.
      const uint32_t bits = ow0 + N <= g.OW ? kAllLanes : laneBits(0, g.OW - ow0);
      const S::V v = S::mul(loadLanes(d + ow0, bits), loadLanes(iv + ow0, bits));
      for (int64_t kw = 0, ph = 0, at = 0; kw < g.WW; kw++) {
        float* p = phases + ph * len + at + ow0;
        S::store(p, S::add(S::load(p), v));
        if (++ph == g.SW) {
          ph = 0;
          at++;
        }
      }
    }
    if (g.SW == 2) {
      for (int64_t q = 0; q < g.PL + g.W; q += 2 * N) {
        const S::V e = S::load(phases + q / 2), o = S::load(phases + len + q / 2);
        S::store(row + q, S::zipLo(e, o));
        S::store(row + q + N, S::zipHi(e, o));
      }
    } else if (g.SW > 2) {
      for (int64_t q = 0, ph = 0, at = 0; q < g.PL + g.W; q++) {
        row[q] = phases[ph * len + at];
        if (++ph == g.SW) {
          ph = 0;
          at++;
        }
      }
    }
    const int64_t h0 = std::max<int64_t>(oh * g.SH - g.PT, 0), h1 = std::min(oh * g.SH - g.PT + g.WH, g.H);
    const float* src = row + g.PL;
    for (int64_t ih = h0; ih < h1; ih++) {
      float* out = dx + ih * g.W;
      for (int64_t c = 0; c < g.W; c += N) {
        const uint32_t bits = c + N <= g.W ? kAllLanes : laneBits(0, g.W - c);
        storeLanes(out + c, bits, S::add(loadLanes(out + c, bits), loadLanes(src + c, bits)));
      }
    }
  }
}

/**
 * N windows' s = dy / divisor spread into dx columns [2 k0, 2 k0 + 2N) of n window rows: column 2k takes window
 * k's (tap 1), column 2k + 1 window k's then window k + 1's (taps 2 and 0). `s`, `sNext` (one window on) are in
 * S::zipOrder, as window3s2GradBlock's; `lo`, `hi` the columns' lanes inside the row.
 */
SN_INLINE void avgGradWindow3s2Block(S::V s, S::V sNext, float* const* dxRows, const bool* accumulate, int n, int64_t c, uint32_t lo, uint32_t hi) {
  constexpr int64_t N = S::N;
  const S::V odd = S::add(s, sNext);
  const S::V a = S::zip4Lo(s, odd), b = S::zip4Hi(s, odd);
  for (int r = 0; r < n; r++) {
    float* p = dxRows[r] + c;
    storeLanes(p, lo, accumulate[r] ? S::add(loadLanes(p, lo), a) : a);
    storeLanes(p + N, hi, accumulate[r] ? S::add(loadLanes(p + N, hi), b) : b);
  }
}

/** The 3x3/2 pad 1 geometry's average gradient (maxPoolGradWindow3s2Fits), row by row as the max-pool gradient's route. */
void avgPoolGradWindow3s2(const PoolGeom& g, const float* dy, const float* inv, float* dx) {
  constexpr int64_t N = S::N;
  const int64_t W = g.W, OW = g.OW;
  window3s2GradPlane(g, dx, [&](int64_t oh, int n, float, float* const* dxRows, const bool* accumulate) {
    const float* d = dy + oh * OW;
    const float* iv = inv + oh * OW;
    int64_t k0 = 0;
    for (; k0 + N < OW && 2 * k0 + 2 * N <= W; k0 += N) {
      const S::V s = S::zipOrder(S::mul(S::load(d + k0), S::load(iv + k0)));
      const S::V sNext = S::zipOrder(S::mul(S::load(d + k0 + 1), S::load(iv + k0 + 1)));
      avgGradWindow3s2Block(s, sNext, dxRows, accumulate, n, 2 * k0, kAllLanes, kAllLanes);
    }
    // The rest of the row's columns; lanes past the last output read 0 and add nothing.
    for (; 2 * k0 < W; k0 += N) {
      const uint32_t outs = laneBits(0, std::min<int64_t>(N, OW - k0)), next = laneBits(0, std::min<int64_t>(N, OW - k0 - 1));
      const S::V s = S::zipOrder(S::mul(loadLanes(d + k0, outs), loadLanes(iv + k0, outs)));
      const S::V sNext = S::zipOrder(S::mul(loadLanes(d + k0 + 1, next), loadLanes(iv + k0 + 1, next)));
      avgGradWindow3s2Block(s, sNext, dxRows, accumulate, n, 2 * k0, rowBits(2 * k0, W, N), rowBits(2 * k0 + N, W, N));
    }
  });
}

/** The pairs' geometry (poolPairsFit): each window's dy / divisor into its columns 2k, 2k + 1 of its rows. */
void avgPoolGradPairs(const PoolGeom& g, const float* dy, const float* inv, float* dx) {
  constexpr int64_t N = S::N;
  // The windows' columns [0, 2 OW) of their rows are stored below; the rest of dx is in no window.
  const int64_t covered = std::min(g.OH * g.SH, g.H), cols = std::min(2 * g.OW, g.W);
  for (int64_t h = 0; h < covered; h++) std::fill(dx + h * g.W + cols, dx + (h + 1) * g.W, 0.f);
  std::fill(dx + covered * g.W, dx + g.H * g.W, 0.f);
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const int64_t h0 = oh * g.SH;
    if (h0 >= g.H) break;  // core's plans have no window past the input; a geometry built in C++ could
    const int64_t n = std::min(g.WH, g.H - h0);
    const float* d = dy + oh * g.OW;
    const float* iv = inv + oh * g.OW;
    float* d0 = dx + h0 * g.W;
    int64_t c = 0;
    for (; c + N <= cols; c += N) {
      const S::V v = S::mul(S::dupPairs(d + c / 2), S::dupPairs(iv + c / 2));
      for (int64_t r = 0; r < n; r++) S::store(d0 + r * g.W + c, v);
    }
    if (c < cols) {
      // The row's last columns: the windows past the last one read 0 (lanes past `cols` are not stored).
      float dd[N / 2] = {}, ii[N / 2] = {};
      std::copy(d + c / 2, d + std::min(c / 2 + N / 2, g.OW), dd);
      std::copy(iv + c / 2, iv + std::min(c / 2 + N / 2, g.OW), ii);
      const S::V v = S::mul(S::dupPairs(dd), S::dupPairs(ii));
      for (int64_t r = 0; r < n; r++) storeLanes(d0 + r * g.W + c, laneBits(0, cols - c), v);
    }
  }
}
