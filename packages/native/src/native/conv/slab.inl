// ISA fragment (see README.md): the padded input copy every direct kernel reads.

// Floats past the end of a slab that a full-width load starting at its last column may touch.
constexpr int64_t kSlack = 2 * S::N;

/**
 * Zero-padded copy of padded rows [r0, r0 + rows) of channels [c0, c0 + cn) of one image, columns
 * split by stride phase: padded column q sits in phase q % SW at index q / SW. For every filter tap the
 * inputs under N consecutive output columns are then N consecutive floats.
 */
struct Slab {
  int64_t SW, Wq, rows, phaseStride, chanStride, r0;
  float* data;

  Slab(const ConvGeom& g, int64_t r0_, int64_t rows_, float* buffer) : SW(g.SW), r0(r0_), data(buffer) {
    const int64_t Wp = g.W + g.PL + g.PR;
    Wq = (Wp + SW - 1) / SW;
    rows = rows_;
    phaseStride = rows * Wq;
    chanStride = SW * phaseStride;
  }

  static int64_t floats(const ConvGeom& g, int64_t rows, int64_t cn) {
    const int64_t Wq = (g.W + g.PL + g.PR + g.SW - 1) / g.SW;
    return cn * g.SW * rows * Wq + kSlack;
  }

  /**
   * Stride 2: input row src (W floats) into the two phases of one slab row (phase 0 at row, phase 1 at
   * row + phaseStride) with vector deinterleaves. Input column 2k lands in padded column 2k + PL, so in
   * phase PL % 2 at index k + PL / 2; column 2k + 1 in phase (PL + 1) % 2 at index k + (PL + 1) / 2.
   * evensOnly: the even columns alone (1-wide filters without padding read only phase 0).
   */
  void splitPair(const float* src, int64_t W, int64_t PL, float* row, bool evensOnly = false) const {
    float* even = row + (PL % 2) * phaseStride + PL / 2;
    float* odd = row + ((PL + 1) % 2) * phaseStride + (PL + 1) / 2;
    int64_t k = 0;
    for (; 2 * (k + S::N) <= W; k += S::N) {
      const S::V lo = S::load(src + 2 * k), hi = S::load(src + 2 * k + S::N);
      S::store(even + k, S::evens(lo, hi));
      if (!evensOnly) S::store(odd + k, S::odds(lo, hi));
    }
    // The last 1 .. 2N - 1 columns by masked loads and stores (on 16 lanes a 56-column row had 24 of them,
    // a scalar pair at a time; a 14-column row all of them on 8 lanes).
    const int64_t rest = W - 2 * k;
    if (rest > 0) {
      const S::V lo = S::maskLoad(S::mask(laneBits(0, std::min<int64_t>(S::N, rest))), src + 2 * k);
      const S::V hi = rest > S::N ? S::maskLoad(S::mask(laneBits(0, rest - S::N)), src + 2 * k + S::N) : S::zero();
      S::maskStore(even + k, S::mask(laneBits(0, (rest + 1) / 2)), S::evens(lo, hi));
      if (rest > 1 && !evensOnly) S::maskStore(odd + k, S::mask(laneBits(0, rest / 2)), S::odds(lo, hi));
    }
  }

  /**
   * 1-wide filters at column stride 2 without left padding read only phase 0: the odd columns stay zero, unstored.
   * Every row is copied even where 1-tall strided filters read every other one: skipping those rows made
   * ResNet-20's 1x1 stride-2 shortcut (64x16x32x32 -> 32, AVX2, 1 thread) 1.5x slower, its loads no longer one
   * stream the hardware prefetcher follows.
   * oddsUnread: the caller never uses phase 1 of such a slab (the tiled forward: its loads reach phase 1 only in lanes
   * it does not store), so where every row lies in the input and fills phase 0, nothing but the slack is zeroed first
   * (phase 1 keeps whatever the scratch held). Emerald Rapids (s41), bench/model-profile.ts resnet20 64 compiled|infer
   * --threads 1 --isa=avx2 --cpu-time, 4 interleaved rounds against the build before, kernel CPU ms per inference:
   * 1x1/2 16 -> 32 compiled 0.51-0.54 -> 0.47, infer 0.49-0.58 -> 0.44-0.51; 32 -> 64 0.33-0.38 -> 0.31-0.35.
   */
  void fill(const ConvGeom& g, const float* image, int64_t c0, int64_t cn, bool oddsUnread = false) {
    const bool evensOnly = g.KW == 1 && g.PL == 0;
    if (evensOnly && oddsUnread && SW == 2 && r0 >= g.PT && r0 + rows - g.PT <= g.H && (g.W + 1) / 2 >= Wq) {
      std::memset(data + cn * chanStride, 0, static_cast<size_t>(kSlack) * sizeof(float));
    } else {
      std::memset(data, 0, static_cast<size_t>(floats(g, rows, cn)) * sizeof(float));
    }
    for (int64_t c = 0; c < cn; c++) {
      const float* plane = image + (c0 + c) * g.H * g.W;
      for (int64_t r = 0; r < rows; r++) {
        const int64_t ih = r0 + r - g.PT;
        if (ih < 0 || ih >= g.H) continue;
        const float* src = plane + ih * g.W;
        if (SW == 1) {
          // Padding may be negative (a crop) in the phase problems of the strided input gradient.
          const int64_t lo = std::max<int64_t>(0, -g.PL), hi = std::min<int64_t>(g.W, Wq - g.PL);
          if (hi > lo) std::memcpy(data + c * chanStride + r * Wq + g.PL + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(float));
          continue;
        }
        if (SW == 2 && g.PL >= 0) {
          splitPair(src, g.W, g.PL, data + c * chanStride + r * Wq, evensOnly);
          continue;
        }
        for (int64_t ph = 0; ph < SW; ph++) {
          // Phase ph holds padded columns q = j * SW + ph; the input column is q - PL.
          float* dst = data + c * chanStride + ph * phaseStride + r * Wq;
          const int64_t jlo = g.PL > ph ? (g.PL - ph + SW - 1) / SW : 0;
          const int64_t jhi = std::min(Wq, (g.PL + g.W - ph + SW - 1) / SW);
          const float* s = src + ph - g.PL;
          for (int64_t j = jlo; j < jhi; j++) dst[j] = s[j * SW];
        }
      }
    }
  }

  /** Offset of tap (c, kh, kw) relative to the slab position of an output (row 0 of the slab, column 0). */
  int64_t tap(const ConvGeom& g, int64_t c, int64_t kh, int64_t kw) const {
    const int64_t q = kw * g.DW;
    return c * chanStride + (q % SW) * phaseStride + kh * g.DH * Wq + q / SW;
  }
};

/**
 * Bands of output rows an image's slab is split into so that each band's slab (all Cg channels) stays
 * within 160 KiB of L2: the channel-lane kernel walks the whole slab once per panel of output channels,
 * and a deep or wide image's slab (2 phases x 64 channels at 56x56: 0.86 MB) went back to L3 between
 * panels. Each band refills the rows its neighbour's taps overlap.
 */
int64_t slabL2Bands(const ConvGeom& g) {
  constexpr int64_t kBudget = 160 << 10;
  const int64_t rowBytes = g.Cg * g.SW * ((g.W + g.PL + g.PR + g.SW - 1) / g.SW) * 4;
  const int64_t halo = (g.KH - 1) * g.DH + 1;
  if (rowBytes * ((g.OH - 1) * g.SH + halo) <= kBudget) return 1;
  const int64_t bandRows = std::max<int64_t>(1, (kBudget / rowBytes - halo) / g.SH + 1);
  return std::min<int64_t>(g.OH, (g.OH + bandRows - 1) / bandRows);
}

// Scratch slots (conv-common.h): padded input slabs, packed panels (Winograd V/M, dy^T), and the
// phase outputs of the strided input gradient (its phase convolutions use the other two slots).
constexpr int kSlabSlot = 0, kPanelSlot = 1, kPhaseSlot = 2;

/** Lanes [0, N) of a vector. */
constexpr uint32_t kAllLanes = S::N >= 32 ? 0xffffffffu : ((1u << S::N) - 1u);

/** Stores the lanes in `bits`: a plain store when all are set (masked stores are slow on some CPUs). */
SN_INLINE void storeLanes(float* p, uint32_t bits, S::V v) {
  if (bits == kAllLanes) {
    S::store(p, v);
  } else if (bits) {
    S::maskStore(p, S::mask(bits), v);
  }
}

/** Loads the lanes in `bits` (the others read as 0): a plain load when all are set. */
SN_INLINE S::V loadLanes(const float* p, uint32_t bits) {
  if (bits == kAllLanes) return S::load(p);
  return bits ? S::maskLoad(S::mask(bits), p) : S::zero();
}
