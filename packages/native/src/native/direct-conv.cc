// GCC 12 flags _mm512_undefined_ps inside its own _mm512_max_ps as maybe-uninitialized (a false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "direct-conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if SN_X86
#include <immintrin.h>
#endif

namespace sn {

#if SN_X86
namespace {

constexpr int64_t kLanes = 16;
// Floats past the end of a slab that a full-width load starting at its last column may touch.
constexpr int64_t kSlack = 2 * kLanes;

/**
 * Zero-padded copy of padded rows [r0, r0 + rows) of channels [c0, c0 + cn) of one image, columns
 * split by stride phase: padded column q sits in phase q % SW at index q / SW.
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

  void fill(const ConvGeom& g, const float* image, int64_t c0, int64_t cn) {
    std::memset(data, 0, static_cast<size_t>(floats(g, rows, cn)) * sizeof(float));
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

// Scratch slots (conv-common.h): padded input slabs, packed panels (Winograd V/M, dy^T), and the
// phase outputs of the strided input gradient (its phase convolutions use the other two slots).
constexpr int kSlabSlot = 0, kPanelSlot = 1, kPhaseSlot = 2;

// ---------------------------------------------------------------------------------------------
// Forward: MR output channels x (2 vectors of 16 output positions).

/**
 * Part of one 16-lane vector of output positions: lanes `mask` come from src and go to dst (both
 * already shifted so that lane l maps to src[l], dst[l]). A vector holds R pieces: one run of up to 16
 * columns of one output row (R = 1), or R whole rows of a narrow output side by side.
 */
struct Piece {
  const float* src;
  float* dst;
  __mmask16 mask;
};

template <int MR, int R>
__attribute__((target("avx512f"))) void forwardTile(int64_t K, const float* ap, const int64_t* off, const Piece* pc, int64_t ys, int mr,
                                                     bool accumulate, const float* bias, bool relu) {
  const float* s0[R];
  const float* s1[R];
  __mmask16 m0[R], m1[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) {
    s0[r] = pc[r].src;
    m0[r] = pc[r].mask;
    s1[r] = pc[R + r].src;
    m1[r] = pc[R + r].mask;
  }
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    c0[i] = _mm512_setzero_ps();
    c1[i] = _mm512_setzero_ps();
    if (accumulate && i < mr) {
      // Partial sums of the earlier channel chunks.
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) {
        c0[i] = _mm512_mask_loadu_ps(c0[i], m0[r], pc[r].dst + i * ys);
        c1[i] = _mm512_mask_loadu_ps(c1[i], m1[r], pc[R + r].dst + i * ys);
      }
    }
  }
  for (int64_t k = 0; k < K; k++) {
    const int64_t o = off[k];
    __m512 b0, b1;
    if constexpr (R == 1) {
      // Whole-vector loads: lanes past the row read padding or the next row, and are never stored.
      b0 = _mm512_loadu_ps(s0[0] + o);
      b1 = _mm512_loadu_ps(s1[0] + o);
    } else {
      b0 = _mm512_maskz_loadu_ps(m0[0], s0[0] + o);
      b1 = _mm512_maskz_loadu_ps(m1[0], s1[0] + o);
#pragma GCC unroll 4
      for (int r = 1; r < R; r++) {
        b0 = _mm512_mask_loadu_ps(b0, m0[r], s0[r] + o);
        b1 = _mm512_mask_loadu_ps(b1, m1[r], s1[r] + o);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    ap += MR;
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
    __m512 r0 = c0[i], r1 = c1[i];
    if (bias) {
      const __m512 b = _mm512_set1_ps(bias[i]);
      r0 = _mm512_add_ps(r0, b);
      r1 = _mm512_add_ps(r1, b);
    }
    if (relu) {
      // max(0, v) returns v when v is NaN (the second operand), like the reference.
      r0 = _mm512_max_ps(zero, r0);
      r1 = _mm512_max_ps(zero, r1);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      if (m0[r]) _mm512_mask_storeu_ps(pc[r].dst + i * ys, m0[r], r0);
      if (m1[r]) _mm512_mask_storeu_ps(pc[R + r].dst + i * ys, m1[r], r1);
    }
  }
}

using ForwardTileFn = void (*)(int64_t, const float*, const int64_t*, const Piece*, int64_t, int, bool, const float*, bool);

template <int MR>
ForwardTileFn forwardTileForR(int R) {
  switch (R) {
    case 1:
      return forwardTile<MR, 1>;
    case 2:
      return forwardTile<MR, 2>;
    case 3:
      return forwardTile<MR, 3>;
    default:
      return forwardTile<MR, 4>;
  }
}

ForwardTileFn forwardTileFor(int mr, int R) {
  switch (mr) {
    case 1:
      return forwardTileForR<1>(R);
    case 2:
      return forwardTileForR<2>(R);
    case 4:
      return forwardTileForR<4>(R);
    case 6:
      return forwardTileForR<6>(R);
    case 8:
      return forwardTileForR<8>(R);
    default:
      return forwardTileForR<12>(R);
  }
}

/** Output-channel tile height: the fewest padded rows, weighed by how well each tile keeps the FMA units busy. */
int pickForwardMR(int64_t Og) {
  // Depthwise layers (1-2 output channels per group) take the 1- and 2-row tiles.
  if (Og <= 2) return static_cast<int>(Og);
  const int sizes[4] = {4, 6, 8, 12};
  const double eff[4] = {0.6, 0.85, 0.93, 1.0};
  int best = 12;
  double bestCost = 1e300;
  for (int s = 0; s < 4; s++) {
    const double cost = static_cast<double>((Og + sizes[s] - 1) / sizes[s] * sizes[s]) / eff[s];
    if (cost < bestCost - 1e-9) {
      bestCost = cost;
      best = sizes[s];
    }
  }
  return best;
}

/** w[grp][o][k] -> ap[grp][tile][k][MR], rows past Og zero. */
std::vector<float> packFilter(const ConvGeom& g, const float* w, int MR) {
  const int64_t tiles = (g.Og + MR - 1) / MR;
  std::vector<float> ap(static_cast<size_t>(g.G * tiles * g.Kdim * MR), 0.f);
  for (int64_t grp = 0; grp < g.G; grp++) {
    for (int64_t o = 0; o < g.Og; o++) {
      const float* src = w + (grp * g.Og + o) * g.Kdim;
      float* dst = ap.data() + ((grp * tiles + o / MR) * g.Kdim) * MR + o % MR;
      for (int64_t k = 0; k < g.Kdim; k++) dst[k * MR] = src[k];
    }
  }
  return ap;
}

/** Bands of output rows per image so that there are enough tasks for the pool. */
int64_t rowBands(const ConvGeom& g, int threads) {
  if (threads <= 1 || g.N % threads == 0 || g.N >= 3 * threads) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(g.OH, (3 * threads + g.N - 1) / g.N));
}

void forwardImpl(const ConvGeom& g, const float* x, const float* ap, int MR, const float* bias, bool relu, float* y, ThreadPool& pool) {
  // Narrow outputs put R whole rows side by side in one vector instead of leaving most lanes idle.
  const int R = g.OW >= 9 ? 1 : static_cast<int>(std::min<int64_t>(4, kLanes / g.OW));
  const ForwardTileFn tile = forwardTileFor(MR, R);
  const int64_t tilesM = (g.Og + MR - 1) / MR;
  const int64_t bands = rowBands(g, pool.size());
  const int64_t segsPerRow = (g.OW + kLanes - 1) / kLanes;
  // Output-channel tiles per block: the block's packed filter stays in L2 while the positions stream past.
  const int64_t tilesPerBlock = std::max<int64_t>(1, (192 << 10) / (g.Kdim * MR * 4));
  // Input channels per chunk: the slab rows one tile reads for a chunk stay in L1 (24 KiB) while every
  // output-channel tile of the block reuses them; partial sums go through the output between chunks.
  const int64_t bytesPerChannel = ((g.KH - 1) * g.DH + 1) * g.SW * ((g.W + g.PL + g.PR + g.SW - 1) / g.SW) * 4;
  const int64_t chunkChannels = std::max<int64_t>(1, std::min<int64_t>(g.Cg, (24 << 10) / std::max<int64_t>(1, bytesPerChannel)));
  const int64_t khw = g.KH * g.KW;
  // Vectors of output positions per image and band.
  const int64_t bandRows = (g.OH + bands - 1) / bands;
  const int64_t perImage = R == 1 ? bandRows * segsPerRow : (bandRows + R - 1) / R;
  // Small outputs: several images per task, so vector pairs (and tiles) are not left half empty.
  int64_t images = 1;
  if (bands == 1 && perImage < 16) {
    images = std::min<int64_t>((16 + perImage - 1) / perImage, std::max<int64_t>(1, g.N / (2 * pool.size())));
  }
  const int64_t groups = (g.N + images - 1) / images;
  pool.run(groups * bands, [&](int64_t t) {
    const int64_t n0 = (t / bands) * images, n1 = std::min(g.N, n0 + images), band = t % bands;
    const int64_t oh0 = g.OH * band / bands, oh1 = g.OH * (band + 1) / bands;
    if (oh0 >= oh1) return;
    const int64_t r0 = oh0 * g.SH;
    const int64_t rows = (oh1 - 1) * g.SH + (g.KH - 1) * g.DH + 1 - r0;
    const int64_t slabFloats = Slab::floats(g, rows, g.Cg);
    float* buffer = scratch(static_cast<size_t>(slabFloats * (n1 - n0)), kSlabSlot);
    std::vector<int64_t> off(static_cast<size_t>(g.Kdim));
    const int64_t perBand = R == 1 ? (oh1 - oh0) * segsPerRow : (oh1 - oh0 + R - 1) / R;
    const int64_t vectors = perBand * (n1 - n0);
    for (int64_t grp = 0; grp < g.G; grp++) {
      Slab slab(g, r0, rows, buffer);
      for (int64_t n = n0; n < n1; n++) {
        Slab(g, r0, rows, buffer + (n - n0) * slabFloats).fill(g, x + n * g.C * g.H * g.W, grp * g.Cg, g.Cg);
      }
      for (int64_t c = 0, k = 0; c < g.Cg; c++)
        for (int64_t kh = 0; kh < g.KH; kh++)
          for (int64_t kw = 0; kw < g.KW; kw++) off[static_cast<size_t>(k++)] = slab.tap(g, c, kh, kw);
      for (int64_t mb = 0; mb < tilesM; mb += tilesPerBlock) {
        const int64_t me = std::min(tilesM, mb + tilesPerBlock);
        for (int64_t s = 0; s < vectors; s += 2) {
          Piece pc[8];
          for (int v = 0; v < 2; v++) {
            const bool used = s + v < vectors;
            const int64_t flat = std::min(s + v, vectors - 1);
            const int64_t img = flat / perBand, vec = flat % perBand;
            const float* base = buffer + img * slabFloats;
            float* yg = y + ((n0 + img) * g.O + grp * g.Og) * g.P;
            if (R == 1) {
              const int64_t oh = oh0 + vec / segsPerRow, ow0 = (vec % segsPerRow) * kLanes;
              const int64_t len = std::min(kLanes, g.OW - ow0);
              pc[v] = {base + (oh * g.SH - r0) * slab.Wq + ow0, yg + oh * g.OW + ow0,
                       used ? static_cast<__mmask16>((1u << len) - 1u) : static_cast<__mmask16>(0)};
              continue;
            }
            for (int r = 0; r < R; r++) {
              const int64_t oh = oh0 + vec * R + r;
              Piece& p = pc[v * R + r];
              if (!used || oh >= oh1) {
                p = {base, yg, 0};
                continue;
              }
              // Shifted so that lane r * OW + j reads column j of row oh (and writes it).
              p = {base + (oh * g.SH - r0) * slab.Wq - r * g.OW, yg + oh * g.OW - r * g.OW,
                   static_cast<__mmask16>(((1u << g.OW) - 1u) << (r * g.OW))};
            }
          }
          for (int64_t c0 = 0; c0 < g.Cg; c0 += chunkChannels) {
            const int64_t c1 = std::min(g.Cg, c0 + chunkChannels);
            const bool last = c1 == g.Cg;
            for (int64_t mt = mb; mt < me; mt++) {
              const int64_t o0 = mt * MR;
              const int mr = static_cast<int>(std::min<int64_t>(MR, g.Og - o0));
              Piece shifted[8];
              for (int q = 0; q < 2 * R; q++) shifted[q] = {pc[q].src, pc[q].dst + o0 * g.P, pc[q].mask};
              tile((c1 - c0) * khw, ap + ((grp * tilesM + mt) * g.Kdim + c0 * khw) * MR, off.data() + c0 * khw, shifted, g.P, mr, c0 > 0,
                   last && bias ? bias + grp * g.Og + o0 : nullptr, last && relu);
            }
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Filter gradient: dW^T tile of MR taps x 32 output channels, accumulated over output positions.

constexpr int kFilterMR = 12;
constexpr int64_t kPanel = 32;

__attribute__((target("avx512f"))) void filterTile(const float* const* rowBase, int64_t oh0, int64_t oh1, int64_t OW,
                                                   int64_t rowStride, const float* bt, float* acc, int64_t accStride, int mr) {
  constexpr int MR = kFilterMR;
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    c0[i] = _mm512_loadu_ps(acc + i * accStride);
    c1[i] = _mm512_loadu_ps(acc + i * accStride + kLanes);
  }
  for (int64_t oh = oh0; oh < oh1; oh++) {
    const float* r[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) r[i] = rowBase[i] + oh * rowStride;
    const float* b = bt + oh * OW * kPanel;
    for (int64_t ow = 0; ow < OW; ow++) {
      const __m512 b0 = _mm512_loadu_ps(b);
      const __m512 b1 = _mm512_loadu_ps(b + kLanes);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        const __m512 a = _mm512_set1_ps(r[i][ow]);
        c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
      }
      b += kPanel;
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
    _mm512_storeu_ps(acc + i * accStride, c0[i]);
    _mm512_storeu_ps(acc + i * accStride + kLanes, c1[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions: each 2x2 output tile comes from a 4x4 input
// patch d as A^T [(G g G^T) . (B^T d B)] A, so the 36 multiply-adds per tile and channel pair become 16
// (one product per transformed element xi, a GEMM over input channels for each xi). Transforms run on
// vectors of 16 tiles; two such vectors share each GEMM pass (12 output channels x 32 tiles).

constexpr int kWinoMR = 12;

/** Worth it from 14 output columns (7 tiles a row): narrower outputs leave too many lanes idle (measured: 6x6 runs at half the direct kernel's speed). */
bool winogradFits(const ConvGeom& g) {
  return g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.G == 1 && g.Cg >= 16 && g.Og >= 16 &&
         g.OW >= 14 && g.OH >= 2;
}

/** U[xi][o tile][c][12] = (G g G^T)[xi] for each 3x3 filter g = w[o][c]; rows past O zero. Split over output channels. */
std::vector<float> winogradFilter(const ConvGeom& g, const float* w, ThreadPool& pool) {
  const int64_t tiles = (g.O + kWinoMR - 1) / kWinoMR;
  std::vector<float> u(static_cast<size_t>(16 * tiles * g.C * kWinoMR), 0.f);
  pool.parallelFor(g.O, std::max<int64_t>(1, 4096 / g.C), [&](int64_t ob, int64_t oe) {
  for (int64_t o = ob; o < oe; o++) {
    for (int64_t c = 0; c < g.C; c++) {
      const float* k = w + (o * g.C + c) * 9;
      float t[4][3], v[4][4];
      for (int j = 0; j < 3; j++) {
        t[0][j] = k[j];
        t[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
        t[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
        t[3][j] = k[6 + j];
      }
      for (int i = 0; i < 4; i++) {
        v[i][0] = t[i][0];
        v[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        v[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        v[i][3] = t[i][2];
      }
      for (int xi = 0; xi < 16; xi++) u[static_cast<size_t>(((xi * tiles + o / kWinoMR) * g.C + c) * kWinoMR + o % kWinoMR)] = v[xi / 4][xi % 4];
    }
  }
  });
  return u;
}

/** A vector of 16 tiles: up to 4 pieces, each a run of tiles of one tile row (lane l of piece r is tile tx0 + l - lane0). */
struct TilePiece {
  int64_t ty, tx0, lane0;
  __mmask16 mask;
  /** Output lanes to store from each half of the interleaved result (columns < OW of this piece's tiles). */
  __mmask16 store[2];
};

template <int R>
__attribute__((target("avx512f"))) inline __m512 winoLoad(const float* base, const int64_t* at, const __mmask16* m, int64_t off) {
  if constexpr (R == 1) {
    return _mm512_loadu_ps(base + at[0] + off);
  } else {
    __m512 v = _mm512_maskz_loadu_ps(m[0], base + at[0] + off);
#pragma GCC unroll 4
    for (int r = 1; r < R; r++) v = _mm512_mask_loadu_ps(v, m[r], base + at[r] + off);
    return v;
  }
}

/**
 * Input transform of channel c for two vectors of tiles: V[xi][c][32] (lanes 0-15 the first vector).
 * at[v][r]: slab offset of piece r's lane 0 (tile row 2 ty, column tx0 - lane0, phase 0).
 */
template <int R>
__attribute__((target("avx512f"))) void winoInput(const float* slab, int64_t C, int64_t phaseStride, int64_t Wq, const int64_t (*at)[4],
                                                  const __mmask16 (*m)[4], float* V) {
  for (int64_t c = 0; c < C; c++) {
    const float* base = slab + c * 2 * phaseStride;
    for (int v = 0; v < 2; v++) {
      __m512 d[4][4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) d[i][j] = winoLoad<R>(base, at[v], m[v], (j & 1) * phaseStride + i * Wq + (j >> 1));
      __m512 t[4][4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++) {
        t[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
        t[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
        t[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
        t[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
      }
      float* out = V + c * 32 + v * 16;
      const int64_t xs = C * 32;
#pragma GCC unroll 4
      for (int i = 0; i < 4; i++) {
        _mm512_storeu_ps(out + (i * 4 + 0) * xs, _mm512_sub_ps(t[i][0], t[i][2]));
        _mm512_storeu_ps(out + (i * 4 + 1) * xs, _mm512_add_ps(t[i][1], t[i][2]));
        _mm512_storeu_ps(out + (i * 4 + 2) * xs, _mm512_sub_ps(t[i][2], t[i][1]));
        _mm512_storeu_ps(out + (i * 4 + 3) * xs, _mm512_sub_ps(t[i][1], t[i][3]));
      }
    }
  }
}

/** M[xi][o0 + i][32] = sum_c U[xi][o tile][c][i] V[xi][c][32] for the 12 channels of one tile. */
__attribute__((target("avx512f"))) void winoGemm(int64_t C, const float* u, const float* V, float* M) {
  __m512 c0[kWinoMR], c1[kWinoMR];
#pragma GCC unroll 12
  for (int i = 0; i < kWinoMR; i++) {
    c0[i] = _mm512_setzero_ps();
    c1[i] = _mm512_setzero_ps();
  }
  for (int64_t c = 0; c < C; c++) {
    const __m512 b0 = _mm512_loadu_ps(V + c * 32);
    const __m512 b1 = _mm512_loadu_ps(V + c * 32 + 16);
#pragma GCC unroll 12
    for (int i = 0; i < kWinoMR; i++) {
      const __m512 a = _mm512_set1_ps(u[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    u += kWinoMR;
  }
#pragma GCC unroll 12
  for (int i = 0; i < kWinoMR; i++) {
    _mm512_storeu_ps(M + i * 32, c0[i]);
    _mm512_storeu_ps(M + i * 32 + 16, c1[i]);
  }
}

/** Output transform of channel o for two vectors of tiles, bias and relu, written into the image y (channel plane). */
__attribute__((target("avx512f"))) void winoOutput(const float* M, int64_t xs, const TilePiece (*pc)[4], int R, float bias, bool relu,
                                                   float* plane, int64_t OH, int64_t OW) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512 b = _mm512_set1_ps(bias), zero = _mm512_setzero_ps();
  for (int v = 0; v < 2; v++) {
    __m512 m[16];
#pragma GCC unroll 16
    for (int xi = 0; xi < 16; xi++) m[xi] = _mm512_loadu_ps(M + xi * xs + v * 16);
    __m512 s[2][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
      s[0][j] = _mm512_add_ps(_mm512_add_ps(m[j], m[4 + j]), m[8 + j]);
      s[1][j] = _mm512_sub_ps(_mm512_sub_ps(m[4 + j], m[8 + j]), m[12 + j]);
    }
    for (int a = 0; a < 2; a++) {
      __m512 y0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[a][0], s[a][1]), s[a][2]), b);
      __m512 y1 = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s[a][1], s[a][2]), s[a][3]), b);
      if (relu) {
        y0 = _mm512_max_ps(zero, y0);
        y1 = _mm512_max_ps(zero, y1);
      }
      // Output columns 2 tx and 2 tx + 1 side by side: lanes 0-15 are tiles 0-7, lanes 16-31 tiles 8-15.
      const __m512 half[2] = {_mm512_permutex2var_ps(y0, lo, y1), _mm512_permutex2var_ps(y0, hi, y1)};
      for (int r = 0; r < R; r++) {
        const TilePiece& p = pc[v][r];
        if (!p.mask) continue;
        const int64_t oh = 2 * p.ty + a;
        if (oh >= OH) continue;
        // Interleaved lane L is output column 2 (tx0 - lane0) + L.
        const int64_t colBase = 2 * (p.tx0 - p.lane0);
        for (int h = 0; h < 2; h++) {
          if (p.store[h]) _mm512_mask_storeu_ps(plane + oh * OW + colBase + 16 * h, p.store[h], half[h]);
        }
      }
    }
  }
}

template <int R>
void winogradImage(const ConvGeom& g, const float* slab, int64_t Wq, int64_t phaseStride, const float* u,
                   const float* bias, bool relu, float* y, int64_t v0, int64_t v1, int64_t TH, int64_t TW, float* V, float* M) {
  const int64_t segs = (TW + 15) / 16;
  const int64_t oTiles = (g.O + kWinoMR - 1) / kWinoMR;
  const int64_t xs = oTiles * kWinoMR * 32;
  for (int64_t s = v0; s < v1; s += 2) {
    TilePiece pc[2][4];
    int64_t at[2][4];
    __mmask16 mk[2][4];
    for (int v = 0; v < 2; v++) {
      const int64_t vec = std::min(s + v, v1 - 1);
      const bool used = s + v < v1;
      for (int r = 0; r < R; r++) {
        TilePiece p{0, 0, 0, 0, {0, 0}};
        if (R == 1) {
          const int64_t ty = vec / segs, tx0 = (vec % segs) * 16;
          const int64_t n = std::min<int64_t>(16, TW - tx0);
          p = {ty, tx0, 0, used ? static_cast<__mmask16>((1u << n) - 1u) : static_cast<__mmask16>(0), {0, 0}};
        } else {
          const int64_t ty = vec * R + r;
          if (used && ty < TH) p = {ty, 0, r * TW, static_cast<__mmask16>(((1u << TW) - 1u) << (r * TW)), {0, 0}};
        }
        const int64_t colBase = 2 * (p.tx0 - p.lane0);
        for (int h = 0; h < 2; h++) {
          uint32_t lanes = 0;
          for (int l = 0; l < 16; l++) {
            const int L = 16 * h + l;
            if (((static_cast<uint32_t>(p.mask) >> (L / 2)) & 1u) && colBase + L < g.OW) lanes |= 1u << l;
          }
          p.store[h] = static_cast<__mmask16>(lanes);
        }
        pc[v][r] = p;
        at[v][r] = 2 * p.ty * Wq + p.tx0 - p.lane0;
        mk[v][r] = p.mask;
      }
    }
    winoInput<R>(slab, g.C, phaseStride, Wq, at, mk, V);
    for (int xi = 0; xi < 16; xi++) {
      for (int64_t ot = 0; ot < oTiles; ot++) {
        winoGemm(g.C, u + (xi * oTiles + ot) * g.C * kWinoMR, V + xi * g.C * 32, M + xi * xs + ot * kWinoMR * 32);
      }
    }
    for (int64_t o = 0; o < g.O; o++) {
      winoOutput(M + o * 32, xs, pc, R, bias ? bias[o] : 0.f, relu, y + o * g.P, g.OH, g.OW);
    }
  }
}

void winogradForward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* y, ThreadPool& pool) {
  const std::vector<float> u = winogradFilter(g, w, pool);
  const int64_t TH = (g.OH + 1) / 2, TW = (g.OW + 1) / 2;
  const int R = TW >= 16 ? 1 : static_cast<int>(std::min<int64_t>(4, 16 / TW));
  const int64_t vectors = R == 1 ? TH * ((TW + 15) / 16) : (TH + R - 1) / R;
  // The padded input as a stride-2 slab: tile tx's patch column j is phase j & 1, index tx + j / 2.
  ConvGeom sg = g;
  sg.SW = 2;
  const int64_t needCols = 2 * TW + 2;
  sg.PR = std::max<int64_t>(g.PR, needCols - g.W - g.PL);
  const int64_t rows = 2 * TH + 2;
  const int64_t chunks = g.N >= 3 * pool.size() ? 1 : std::max<int64_t>(1, std::min<int64_t>((vectors + 1) / 2, (3 * pool.size() + g.N - 1) / g.N));
  const int64_t oTiles = (g.O + kWinoMR - 1) / kWinoMR;
  pool.run(g.N * chunks, [&](int64_t t) {
    const int64_t n = t / chunks, ch = t % chunks;
    // Vector pairs of this chunk.
    const int64_t pairs = (vectors + 1) / 2;
    const int64_t v0 = 2 * (pairs * ch / chunks), v1 = std::min(vectors, 2 * (pairs * (ch + 1) / chunks));
    if (v0 >= v1) return;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(sg, rows, g.C)), kSlabSlot);
    Slab slab(sg, 0, rows, buffer);
    slab.fill(sg, x + n * g.C * g.H * g.W, 0, g.C);
    float* V = scratch(static_cast<size_t>(16 * g.C * 32 + 16 * oTiles * kWinoMR * 32), kPanelSlot);
    float* M = V + 16 * g.C * 32;
    float* yn = y + n * g.O * g.P;
    switch (R) {
      case 1: winogradImage<1>(g, buffer, slab.Wq, slab.phaseStride, u.data(), bias, relu, yn, v0, v1, TH, TW, V, M); break;
      case 2: winogradImage<2>(g, buffer, slab.Wq, slab.phaseStride, u.data(), bias, relu, yn, v0, v1, TH, TW, V, M); break;
      case 3: winogradImage<3>(g, buffer, slab.Wq, slab.phaseStride, u.data(), bias, relu, yn, v0, v1, TH, TW, V, M); break;
      default: winogradImage<4>(g, buffer, slab.Wq, slab.phaseStride, u.data(), bias, relu, yn, v0, v1, TH, TW, V, M); break;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Depthwise forward (one input and one output channel per group): per channel plane, each tap's
// weight broadcast once and 16 output columns per vector; memory-bound, so no tiling machinery.

__attribute__((target("avx512f"))) void depthwisePlane(const ConvGeom& g, const float* slab, int64_t Wq, const int64_t* off,
                                                       const float* w, float bias, bool relu, float* out) {
  const int64_t taps = g.KH * g.KW;
  const __m512 zero = _mm512_setzero_ps(), b = _mm512_set1_ps(bias);
  for (int64_t oh = 0; oh < g.OH; oh++) {
    const float* row = slab + oh * g.SH * Wq;
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
      const int64_t n = std::min<int64_t>(16, g.OW - ow0);
      __m512 acc = zero;
      for (int64_t k = 0; k < taps; k++) acc = _mm512_fmadd_ps(_mm512_set1_ps(w[k]), _mm512_loadu_ps(row + ow0 + off[k]), acc);
      acc = _mm512_add_ps(acc, b);
      if (relu) acc = _mm512_max_ps(zero, acc);
      _mm512_mask_storeu_ps(out + oh * g.OW + ow0, static_cast<__mmask16>((1u << n) - 1u), acc);
    }
  }
}

void depthwiseForward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* y, ThreadPool& pool) {
  const int64_t rows = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  const int64_t taps = g.KH * g.KW;
  // Planes per task: about 64K outputs, so a task outweighs its dispatch.
  const int64_t planes = g.N * g.G;
  const int64_t per = std::max<int64_t>(1, std::min<int64_t>(planes / (2 * pool.size()) + 1, (int64_t{1} << 16) / std::max<int64_t>(1, g.P)));
  pool.run((planes + per - 1) / per, [&](int64_t t) {
    float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, 1)), kSlabSlot);
    std::vector<int64_t> o(static_cast<size_t>(taps));
    for (int64_t pl = t * per; pl < std::min(planes, (t + 1) * per); pl++) {
      const int64_t n = pl / g.G, grp = pl % g.G;
      Slab slab(g, 0, rows, buffer);
      slab.fill(g, x + n * g.C * g.H * g.W, grp, 1);
      for (int64_t kh = 0, k = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++) o[static_cast<size_t>(k++)] = slab.tap(g, 0, kh, kw);
      depthwisePlane(g, buffer, slab.Wq, o.data(), w + grp * taps, bias ? bias[grp] : 0.f, relu, y + (n * g.O + grp) * g.P);
    }
  });
}

/** A forward convolution by the best direct kernel for its shape: depthwise, Winograd or tiled. */
void forwardConv(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* y, ThreadPool& pool) {
  if (g.Cg == 1 && g.Og == 1) {
    depthwiseForward(g, x, w, bias, relu, y, pool);
    return;
  }
  if (winogradFits(g)) {
    winogradForward(g, x, w, bias, relu, y, pool);
    return;
  }
  const int MR = pickForwardMR(g.Og);
  const std::vector<float> ap = packFilter(g, w, MR);
  forwardImpl(g, x, ap.data(), MR, bias, relu, y, pool);
}

}  // namespace

bool directForwardFits(const ConvGeom& g) { return cpuHasAvx512() && (g.Og >= 4 || g.Og <= 2); }

bool directBackpropInputFits(const ConvGeom& g) { return cpuHasAvx512() && (g.Cg >= 4 || g.Cg <= 2); }

bool directBackpropFilterFits(const ConvGeom& g) { return cpuHasAvx512() && ((g.Og >= 8 && g.Kdim >= kFilterMR) || g.Cg == 1); }

void directForward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* y, ThreadPool& pool) {
  forwardConv(g, x, w, bias, relu, y, pool);
}

namespace {
/** Filter taps kh (of KH, dilation D) that reach input phase ph under stride S, with their dy offsets d, by d ascending. */
void phaseTaps(int64_t ph, int64_t pad, int64_t K, int64_t D, int64_t S, std::vector<int64_t>& taps, std::vector<int64_t>& d) {
  taps.clear();
  d.clear();
  for (int64_t k = K - 1; k >= 0; k--) {
    const int64_t v = ph + pad - k * D;
    if (((v % S) + S) % S != 0) continue;
    taps.push_back(k);
    d.push_back(v / S);
  }
}

/**
 * Strided input gradient, one stride phase (ph, pw) of dx at a time: the rows ih = ph + SH q and columns
 * iw = pw + SW r of dx only receive the taps kh with (ph + PT - kh DH) divisible by SH (likewise kw), from
 * dy row q + (ph + PT - kh DH) / SH. That is a stride-1 convolution of dy with those taps (flipped,
 * channels swapped), padding or cropping dy at the edges; its output is scattered into dx.
 */
void backpropInputStrided(const ConvGeom& g, const float* dy, const float* w, float* dx, ThreadPool& pool) {
  std::vector<int64_t> khs, dh, kws, dw;
  for (int64_t ph = 0; ph < g.SH; ph++) {
    for (int64_t pw = 0; pw < g.SW; pw++) {
      const int64_t Hq = ph < g.H ? (g.H - ph + g.SH - 1) / g.SH : 0;
      const int64_t Wr = pw < g.W ? (g.W - pw + g.SW - 1) / g.SW : 0;
      if (Hq == 0 || Wr == 0) continue;
      phaseTaps(ph, g.PT, g.KH, g.DH, g.SH, khs, dh);
      phaseTaps(pw, g.PL, g.KW, g.DW, g.SW, kws, dw);
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
      std::vector<float> flipped(static_cast<size_t>(g.G * g.Cg * t.Kdim));
      for (int64_t grp = 0; grp < g.G; grp++)
        for (int64_t c = 0; c < g.Cg; c++)
          for (int64_t o = 0; o < g.Og; o++)
            for (int64_t j = 0; j < t.KH; j++)
              for (int64_t i = 0; i < t.KW; i++) {
                flipped[static_cast<size_t>((((grp * g.Cg + c) * g.Og + o) * t.KH + j) * t.KW + i)] =
                    w[(((grp * g.Og + o) * g.Cg + c) * g.KH + khs[j]) * g.KW + kws[i]];
              }
      // Kept across calls: fresh pages cost a fault each.
      float* tmp = scratch(static_cast<size_t>(g.N * g.C * t.P), kPhaseSlot);
      forwardConv(t, dy, flipped.data(), nullptr, false, tmp, pool);
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
  }
}
}  // namespace

void directBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, ThreadPool& pool) {
  if (g.SH > 1 || g.SW > 1) {
    backpropInputStrided(g, dy, w, dx, pool);
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
  std::vector<float> flipped(static_cast<size_t>(g.filterSize));
  for (int64_t grp = 0; grp < g.G; grp++)
    for (int64_t o = 0; o < g.Og; o++)
      for (int64_t c = 0; c < g.Cg; c++)
        for (int64_t kh = 0; kh < g.KH; kh++)
          for (int64_t kw = 0; kw < g.KW; kw++) {
            const float v = w[(((grp * g.Og + o) * g.Cg + c) * g.KH + kh) * g.KW + kw];
            flipped[static_cast<size_t>((((grp * g.Cg + c) * g.Og + o) * g.KH + (g.KH - 1 - kh)) * g.KW + (g.KW - 1 - kw))] = v;
          }
  forwardConv(t, dy, flipped.data(), nullptr, false, dx, pool);
}

namespace {
/** Depthwise filter gradient of group grp over images [nb, ne) into out (one group's rows of dw). */
__attribute__((target("avx512f"))) void depthwiseFilterGroup(const ConvGeom& g, const float* x, const float* dy, int64_t grp, int64_t nb,
                                                             int64_t ne, float* out) {
  const int64_t taps = g.KH * g.KW;
  const int64_t rows = g.H + g.PT + g.PB;
  float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, 1)), kSlabSlot);
  std::vector<int64_t> off(static_cast<size_t>(taps));
  // Sixteen partial sums per (output channel, tap), kept in memory (their count is not fixed).
  std::vector<float> acc(static_cast<size_t>(g.Og * taps * 16), 0.f);
  for (int64_t n = nb; n < ne; n++) {
    Slab slab(g, 0, rows, buffer);
    slab.fill(g, x + n * g.C * g.H * g.W, grp, 1);
    for (int64_t kh = 0, k = 0; kh < g.KH; kh++)
      for (int64_t kw = 0; kw < g.KW; kw++) off[static_cast<size_t>(k++)] = slab.tap(g, 0, kh, kw);
    for (int64_t o = 0; o < g.Og; o++) {
      const float* d = dy + (n * g.O + grp * g.Og + o) * g.P;
      float* a = acc.data() + o * taps * 16;
      for (int64_t oh = 0; oh < g.OH; oh++) {
        for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
          const int64_t len = std::min<int64_t>(16, g.OW - ow0);
          const __mmask16 m = static_cast<__mmask16>((1u << len) - 1u);
          const __m512 dv = _mm512_maskz_loadu_ps(m, d + oh * g.OW + ow0);
          const float* base = buffer + oh * g.SH * slab.Wq + ow0;
          for (int64_t k = 0; k < taps; k++) {
            const __m512 xv = _mm512_maskz_loadu_ps(m, base + off[static_cast<size_t>(k)]);
            _mm512_storeu_ps(a + k * 16, _mm512_fmadd_ps(dv, xv, _mm512_loadu_ps(a + k * 16)));
          }
        }
      }
    }
  }
  for (int64_t o = 0; o < g.Og; o++)
    for (int64_t k = 0; k < taps; k++) out[(grp * g.Og + o) * taps + k] = _mm512_reduce_add_ps(_mm512_loadu_ps(acc.data() + (o * taps + k) * 16));
}

/**
 * Filter gradient of a convolution with one input channel per group (depthwise): for each group and
 * tap, a dot product of dy with the shifted input over every output position, 16 positions a vector.
 * With few groups (a 1-channel input layer) images are split across threads too, partial sums added after.
 */
void depthwiseFilterGrad(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  const int64_t parts = g.G >= 2 * pool.size() ? 1 : std::max<int64_t>(1, std::min<int64_t>(g.N, pool.size()));
  std::vector<float> partial(static_cast<size_t>(parts * g.filterSize));
  pool.run(g.G * parts, [&](int64_t t) {
    const int64_t grp = t / parts, part = t % parts;
    depthwiseFilterGroup(g, x, dy, grp, g.N * part / parts, g.N * (part + 1) / parts, partial.data() + part * g.filterSize);
  });
  for (int64_t i = 0; i < g.filterSize; i++) {
    float sum = 0.f;
    for (int64_t part = 0; part < parts; part++) sum += partial[static_cast<size_t>(part * g.filterSize + i)];
    dw[i] = sum;
  }
}
}  // namespace

void directBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool) {
  if (g.Cg == 1 && !(g.Og >= 8 && g.Kdim >= kFilterMR)) {
    depthwiseFilterGrad(g, x, dy, dw, pool);
    return;
  }
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
  std::vector<float> partial(static_cast<size_t>(parts * partFloats), 0.f);
  const int64_t rows = g.H + g.PT + g.PB;
  // Output rows per block: the block's dy panel (and input rows) stay in cache while every tap tile sweeps it.
  const int64_t rowsPerBlock = std::max<int64_t>(1, std::min<int64_t>(g.OH, 512 / std::max<int64_t>(1, g.OW)));
  pool.run(parts * chunks, [&](int64_t t) {
    const int64_t part = t / chunks, chunk = t % chunks;
    const int64_t nb = g.N * part / parts, ne = g.N * (part + 1) / parts;
    const int64_t jb = jTiles * chunk / chunks, je = jTiles * (chunk + 1) / chunks;
    float* buffer = scratch(static_cast<size_t>(Slab::floats(g, rows, g.Cg)), kSlabSlot);
    float* bt = scratch(static_cast<size_t>(panels * g.P * kPanel), kPanelSlot);
    std::vector<const float*> base(static_cast<size_t>(kRows));
    for (int64_t n = nb; n < ne; n++) {
      for (int64_t grp = 0; grp < g.G; grp++) {
        Slab slab(g, 0, rows, buffer);
        slab.fill(g, x + n * g.C * g.H * g.W, grp * g.Cg, g.Cg);
        for (int64_t j = 0; j < kRows; j++) {
          const int64_t jj = std::min(j, g.Kdim - 1);
          const int64_t c = jj / (g.KH * g.KW), kh = (jj / g.KW) % g.KH, kw = jj % g.KW;
          base[static_cast<size_t>(j)] = buffer + slab.tap(g, c, kh, kw);
        }
        // dy^T panels: bt[panel][p][32], channels past Og zero.
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
        float* acc = partial.data() + part * partFloats + grp * kRows * accStride;
        for (int64_t oh0 = 0; oh0 < g.OH; oh0 += rowsPerBlock) {
          const int64_t oh1 = std::min(g.OH, oh0 + rowsPerBlock);
          for (int64_t jt = jb; jt < je; jt++) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, g.Kdim - jt * MR));
            for (int64_t pn = 0; pn < panels; pn++) {
              filterTile(base.data() + jt * MR, oh0, oh1, g.OW, g.SH * slab.Wq, bt + pn * g.P * kPanel,
                         acc + jt * MR * accStride + pn * kPanel, accStride, mr);
            }
          }
        }
      }
    }
  });
  for (int64_t grp = 0; grp < g.G; grp++)
    for (int64_t o = 0; o < g.Og; o++) {
      float* dst = dw + (grp * g.Og + o) * g.Kdim;
      for (int64_t j = 0; j < g.Kdim; j++) {
        float s = 0.f;
        for (int64_t part = 0; part < parts; part++) s += partial[static_cast<size_t>(part * partFloats + (grp * kRows + j) * accStride + o)];
        dst[j] = s;
      }
    }
}

#else  // not x86: the direct kernels need AVX-512, so callers always take the GEMM path.

bool directForwardFits(const ConvGeom&) { return false; }
bool directBackpropInputFits(const ConvGeom&) { return false; }
bool directBackpropFilterFits(const ConvGeom&) { return false; }
void directForward(const ConvGeom&, const float*, const float*, const float*, bool, float*, ThreadPool&) {}
void directBackpropInput(const ConvGeom&, const float*, const float*, float*, ThreadPool&) {}
void directBackpropFilter(const ConvGeom&, const float*, const float*, float*, ThreadPool&) {}

#endif

}  // namespace sn
