// ISA fragment (included by src/native/isa/<isa>.cc after planes.inl): the average-pool gradient of one
// channel plane, any window, stride and padding, as the forward pass (planes.inl) transposed. Each output
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
