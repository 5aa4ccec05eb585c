// ISA fragment (see README.md): Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions whose filter is constant
// (Backend.markConstant) or records no gradient (inference only). Each 4x4 output tile comes from a 6x6 input
// patch d as A^T [(G g G^T) . (B^T d B)] A: 36 products per tile and channel pair, 2.25 per output against
// F(2x2, 3x3)'s 4 (winograd.inl), with larger transform constants (4, 5, 8 and 1/24), so its rounding is
// larger and training never takes it. Tiles lie in the lanes as in winograd.inl, whose GEMM tiles (WinoTile,
// winoGemm) this file shares. Pad-1 layers of whole tiles with two tile rows or whole images a vector (ResNet-20's
// 16x16 and 8x8 on 8 lanes, 32x32 and 16x16 on 16) read the 6x6 patches straight from the input (f4InputDirect);
// elsewhere the padded input is first split into 4 column phases (the layout of a stride-4 Slab) so that tile tx's
// patch column j is phase j % 4 at index tx + j / 4, N tiles one plain load.

/** Most pieces a vector: 8 (rows of 2 tiles, 8-column outputs on 16 lanes). */
constexpr int kF4Pieces = 8;
/** The widths winogradF4Fits takes (8 lanes, and 16 on full-width AVX-512): dispatch.inl compiles the kernel only for them. */
constexpr bool kF4Lanes = S::N == 8 || S::N == 16;

/**
 * Floats between V's or M's 36 planes of `floats` each: a cache line more where a plane is a multiple of 2 KiB
 * (as kLinePad in winograd-s2.inl). Unpadded, 64 channels x 16 tiles make 4 KiB planes, and the input transform's
 * 36 stores of a vector and the output transform's 36 loads all fell in one L1 set. Zen 5, avx2 path (8 lanes),
 * isa-check --bench-only const column, 1 thread, CPU time, 4 interleaved rounds at load 16-23, medians (ranges)
 * GFLOP/s before -> after: 64x32x16x16 -> 32 184 (176-192) -> 224 (217-226), 64x64x8x8 -> 64 189 (182-195) -> 243
 * (237-255), 64x96x32x32 -> 96 299 (295-306) -> 321 (315-325), 64x192x16x16 -> 192 311 (306-317) -> 371 (365-374);
 * 1 KiB planes (16 channels: 9 of 36 a set, within L1's ways) padded ran 64x16x32x32 -> 16 5% slower (6 rounds,
 * 143-156% -> 137-155% of the FMA peak), so they stay unpadded.
 */
int64_t f4PlaneStride(int64_t floats) { return floats % 512 == 0 ? floats + 16 : floats; }

/**
 * f4Pass's V and M planes: f4PlaneStride, and on Intel's cores (cpuVendorIntel) 8-lane planes of a multiple of 1 KiB
 * padded too (16 channels x 16 tiles; likely 4K aliasing: every fourth of the input transform's 36 stores and the
 * GEMM's loads of the planes lie a multiple of 4 KiB apart, which Intel's cores treat as a possible store-to-load
 * dependence). Emerald Rapids (s41), bench/model-profile.ts resnet20 64 compiled --threads 1 --isa=avx2 --cpu-time,
 * one binary with the rule off and on, 5 interleaved rounds at load 5, kernel CPU ms per inference, the six 16 -> 16
 * layers 11.40-11.65 (median 11.47) -> 10.87-11.32 (10.93); the 32 and 64-channel layers' planes were padded already.
 * Zen 5 measured these planes 5% slower padded (f4PlaneStride), so AMD keeps them unpadded.
 */
int64_t f4PassPlaneStride(int64_t floats) {
  return S::N == 8 && floats % 256 == 0 && cpuVendorIntel() ? floats + 16 : f4PlaneStride(floats);
}

/**
 * Where an earlier layer's y stays in the caches for the next one to read: cores of 2 MiB of L2 or more (cpuL2Bytes).
 * f4Output streams y past them only elsewhere (f4Streams), and f4Fill fetches its input ahead only elsewhere.
 */
bool f4CachedActivations() { return cpuL2Bytes() >= (2 << 20); }

/** Tile rows and tiles a row: ceil(OH / 4) x ceil(OW / 4), the last row and column partly stored. */
int64_t f4TilesH(const ConvGeom& g) { return (g.OH + 3) / 4; }
int64_t f4TilesW(const ConvGeom& g) { return (g.OW + 3) / 4; }
/** Outputs not in whole 4x4 tiles. */
bool f4Partial(const ConvGeom& g) { return g.OH % 4 || g.OW % 4; }

/**
 * Pieces a vector for TW tiles a row: 1 (whole vectors a row), 2 (two tile rows of N/2 tiles), 4 (rows of N/4
 * tiles: 8-column outputs on 8 lanes, 16-column on 16; whole images a vector), 8 (rows of 2 tiles on 16 lanes:
 * 8-column outputs) or 0 (not taken). Rows that fill seven eighths of their vectors or more take 1 (each row in
 * ceil(TW / N) vectors, the last partly used: ResNet-18's 56x56 and 28x28 outputs, 14 and 7 tiles a row, on 8
 * lanes, and 56x56 on 16) or 2 (each half vector a tile row of N/2 tiles or fewer: 28x28 on 16 lanes); the lanes
 * past the row compute on zeros (f4SlabGeom) and store nothing (f4PartLanes).
 */
int f4Rows(int64_t TW) {
  if (TW % S::N == 0) return 1;
  if (2 * TW == S::N) return 2;
  if (4 * TW == S::N) return 4;
  if (S::N == 16 && 8 * TW == S::N) return 8;
  if (TW > S::N / 2 && 8 * TW >= 7 * ((TW + S::N - 1) / S::N * S::N)) return 1;
  return 2 * TW < S::N && 16 * TW >= 7 * S::N ? 2 : 0;
}

/** Whether a vector's last tiles of a row are a part of a 4-lane group's N output columns (R 1 or 2: f4Output stores by lanes). */
bool f4PartLanes(int64_t TW, int R) { return R <= 2 && TW % (S::N / 4) != 0; }

/** Tiles a slab row holds: every lane of a row's vectors reads its patch from the slab (zeros past the input). */
int64_t f4SlabTiles(int64_t TW) {
  const int R = f4Rows(TW);
  return R == 1 ? (TW + S::N - 1) / S::N * S::N : R == 2 ? std::max<int64_t>(TW, S::N / 2) : TW;
}

/**
 * 16 lanes run F(4x4, 3x3) only where 512-bit operations run at full width (cpuAvx512FullWidth): elsewhere the
 * avx512 path hands these layers to the 8-lane kernels (dispatch.inl f4ByEightLanes).
 */
bool f4FullWidth() { return S::N == 16 && cpuAvx512FullWidth(); }

/**
 * Whether F(4x4, 3x3) runs: a geometry winograd.inl takes, a constant filter, tiles that fill whole vectors
 * (ResNet-20's 32x32, 16x16 and 8x8 planes on 8 and 16 lanes). 8-lane vectors, and 16 where 512-bit operations
 * run at full width (f4FullWidth); elsewhere the avx512 path hands these layers to the 8-lane kernels
 * (dispatch.inl f4ByEightLanes). Zen 5, isa-check --bench-only, const column (bias-free forward, filter cached),
 * 1 thread, CPU time, 4 interleaved rounds at load 16-23, medians (ranges) GFLOP/s, avx512 path on 8 lanes before
 * (unpadded planes) -> on 8 lanes with padded planes (STRIDENET_AVX512_FULL_WIDTH=0) -> 16-lane F(2x2, 3x3) ->
 * 16-lane F(4x4, 3x3): 64x16x32x32 -> 16 170 (165-173) -> (stays unpadded) -> 160 -> 261 (251-280), 64x32x16x16
 * -> 32 191 (185-192) -> 226 -> 222 -> 296 (292-302), 64x64x8x8 -> 64 191 (189-198) -> 246 -> 249 -> 306
 * (304-311), All-CNN-C's 64x96x32x32 -> 96 287 (246-296) -> 325 -> 326 -> 558 (537-576), 64x192x16x16 -> 192 308
 * (306-317) -> 372 -> 367 -> 585 (578-592).
 *
 * Outputs not in whole 4x4 tiles (ceil(OH / 4) x ceil(OW / 4) tiles, the last tile row and column partly stored;
 * an odd count of tile rows on two tile rows a vector) where the batch holds two vectors of tiles or more: each
 * pass streams the whole transformed filter, 36 / 16 of F(2x2, 3x3)'s, which at small batches reads it for every
 * pass of tiles or for one shared by every image (winograd-shared.inl). On 16 lanes F(4x4, 3x3) also takes 13x13
 * outputs from 64 channels (an image a vector), which winograd.inl leaves to the 8-lane path there. Zen 5,
 * isa-check --bench-only, const column, 1 thread, CPU time, interleaved rounds at load 17-33, GFLOP/s F(2x2, 3x3)
 * -> F(4x4, 3x3), avx2: ResNet-18's 2x256x14x14 -> 256 133-142 -> 256-290, 8x256x14x14 -> 256 150-158 -> 250-276,
 * AlexNet's 4x384x13x13 -> 384 111-129 -> 196-211, 8x512x7x7 -> 512 132-145 -> 210-220; avx512 (16 lanes):
 * 2x256x14x14 248-268 -> 366-470, 8x256x14x14 247-263 -> 401-442, 4x384x13x13 (8-lane F(2x2, 3x3)) 106-124 -> 295-333,
 * 8x512x7x7 262-265 -> 328-336. One vector of tiles or less (ResNet-18's 2x512x7x7 -> 512, 8 tiles: one half-used
 * 16-lane vector) keeps F(2x2, 3x3): avx2 122-137 -> 113-116, avx512 222-243 -> 167-183; 2x256x7x7 -> 256 avx2
 * 144-152 -> 135-145, avx512 253-293 -> 206-216.
 *
 * Images of 5 to 8 output columns (2 x 2 tiles, whole images a vector) from 64 channels on 16 lanes too (8 lanes take
 * them by winogradFits): All-CNN-C's valid 8x8 -> 6x6 192 -> 192 layer, 36 of 64 outputs a tile set used. Zen 5,
 * isa-check --bench-only "x192x8x8 * " --columns forward,const --cpu-time, 1 thread, the same binary with the rule
 * off then on, interleaved rounds at load 7-9, const column, tiled kernel -> F(4x4, 3x3), GFLOP/s ranges (medians):
 * avx2 (4 rounds) 64x192x8x8 -> 192 75.2-80.1 (77.6) -> 179.7-187.0 (184.9), 32x 74.2-80.3 (77.2) -> 176.2-190.8
 * (186.8), 16x 75.2-80.2 (77.0) -> 183.2-203.7 (192.7); avx512 (2 rounds) 64x 139-143 -> 285-287 (the 8-lane one
 * by f4ByEightLanes: 188-197), 32x 141-142 -> 288-299, 16x 140-145 -> 290-295.
 *
 * Tile rows that fill seven eighths of their vectors (f4Rows; the last vector of a row partly used, or two tile rows
 * of N/2 tiles or fewer a vector, an odd tile-row count included): ResNet-18's 56x56 and 28x28 outputs (14 and 7
 * tiles a row), which F(2x2, 3x3) ran at the same lane use (28 and 14 tiles a row). Zen 5, isa-check --bench-only
 * const column, 1 thread, CPU time, main's binary and this one interleaved 3 rounds at load 7.5-8.6, GFLOP/s: avx2
 * 2x64x56x56 -> 64 153-156 -> 280-283, 4x128x28x28 -> 128 166-169 -> 259-261; avx512 (16 lanes) 239-249 -> 420-467
 * and 291-305 -> 444-449; 2 threads (chrt -f 10 wall time, 2 rounds, load 9) avx2 313-331 -> 515-518 and 319-322
 * -> 503-524, avx512 373-468 -> 728-738 and 575-577 -> 811-871. Where AVX-512 runs as two halves the avx512 path
 * takes them on 8 lanes (f4ByEightLanes) as it does partial tiles: the 8-lane kernels measured above against this
 * host's full-width 16-lane F(2x2, 3x3) with STRIDENET_AVX512_FULL_WIDTH=0 read 245-259 -> 264-289 (56x56) and
 * 288-306 -> 255-259 (28x28: the full-width F(2x2, 3x3) outruns what a half-width CPU's would, which peaks as the
 * avx2 path's 166-169; not measured on one).
 */
bool winogradF4Fits(const ConvGeom& g, bool constantFilter) {
  if (!(S::N == 8 || f4FullWidth()) || !constantFilter) return false;
  const int64_t TH = f4TilesH(g), TW = f4TilesW(g);
  const int R = f4Rows(TW);
  const bool partial = f4Partial(g);
  const bool wide16 = S::N == 16 && winogradShape(g) && g.Cg >= 64 && (TW == 4 || TW == 2);
  if (!winogradFits(g, true) && !wide16) return false;
  if (partial && g.N * TH * TW < 2 * S::N) return false;
  // Whole tiles too: fewer than one vector of them (ResNet-18's 64- to 256-channel 8x8 maps at batch 1 on 32x32
  // inputs, 4 tiles) read a transformed filter 4 times the raw one for half-used vectors, where F(2x2, 3x3) reads
  // 16/9 of it. Emerald Rapids, 1 thread, constant filter, us per call, F(4x4) -> F(2x2): avx2 1x64x8x8 -> 64 54 -> 37,
  // 1x128x8x8 -> 128 184 -> 104, 1x256 393 -> 348; avx512 (16 lanes, 4 and 8 tiles) 1x64 49 -> 24, 2x64 62 -> 45,
  // 1x128 152 -> 65, 2x128 163 -> 112, 1x256 506 -> 215. A vector and more keeps F(4x4): avx2 2x64 58 against 69,
  // avx512 4x64 61 against 69, 4x128 184 against 222, 1x128x16x16 131 against 204.
  if (g.N * TH * TW < S::N) return false;
  return R == 1 || (R == 2 && (TH % 2 == 0 || partial || 2 * TW < S::N)) || (R >= 4 && S::N % (TH * TW) == 0);
}

/**
 * The GEMM's output-channel tiles of a pass: MR rows each, the last `narrow` of 4 rows where MR is 6 (the 6 x 2 tile of
 * 8 lanes) and O leaves 4 or 2 rows over (6 + 6 + 4 for 16 channels, 4 x 6 + 2 x 4 for 32, 10 x 6 + 4 for 64), so no
 * channel row is padded (a ninth of the GEMM's multiply-adds at 16 and 32 channels): the 4 x 2 tile keeps 8
 * accumulators, enough for both FMA pipes. Zen 5, avx2 path, isa-check --bench-only ... --columns const --epilogue
 * --cpu-time --threads 1 (chrt -f 10), the same binary with padded and narrow tiles, 8 interleaved rounds at load
 * 11-14, GFLOP/s medians: 64x16x32x32 -> 16 147 -> 148, 64x32x16x16 -> 32 243 -> 251, 64x64x8x8 -> 64 314 -> 317; in
 * bench/model-profile.ts resnet20 64 infer --threads 1 --isa=avx2 --cpu-time (3 rounds, load 11-12) the 32 -> 32
 * layers 6.97 -> 6.88 ms, the others within the noise.
 */
template <int MR>
WinoRows f4RowTiles(const ConvGeom& g) { return winoRowTiles(MR, g.O, false); }

template <int MR>
int64_t f4FilterFloats(const ConvGeom& g) { return 36 * f4RowTiles<MR>(g).rows * g.C; }

/**
 * U[xi][o tile][c][rows of the tile] = (G g G^T)[xi] (6x6, xi = 6 row + column) for each filter g = w[o][c], in double;
 * rows past O zero; tiles as f4RowTiles.
 */
template <int MR>
void f4Filter(const ConvGeom& g, const float* w, ThreadPool& pool, float* u) {
  const WinoRows rt = f4RowTiles<MR>(g);
  const int64_t tiles = rt.tiles;
  const int64_t block = std::max<int64_t>(1, 512 / (g.C * MR));  // tiles per task
  auto gt = [](const double* k, int stride, double* out) {
    const double k0 = k[0], k1 = k[stride], k2 = k[2 * stride];
    out[0] = k0 / 4;
    out[1] = -(k0 + k1 + k2) / 6;
    out[2] = -(k0 - k1 + k2) / 6;
    out[3] = k0 / 24 + k1 / 12 + k2 / 6;
    out[4] = k0 / 24 - k1 / 12 + k2 / 6;
    out[5] = k2;
  };
  pool.run((tiles + block - 1) / block, [&](int64_t b) {
    float v[36][MR];
    for (int64_t ot = b * block; ot < std::min(tiles, (b + 1) * block); ot++) {
      const int64_t o0 = rt.base(ot);
      const int mr = rt.count(ot), on = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(mr, g.O - o0)));
      for (int64_t c = 0; c < g.C; c++) {
        for (int i = 0; i < mr; i++) {
          if (i >= on) {
            for (int xi = 0; xi < 36; xi++) v[xi][i] = 0.f;
            continue;
          }
          const float* k = w + ((o0 + i) * g.C + c) * 9;
          double kd[9], t[3][6], r[6];
          for (int j = 0; j < 9; j++) kd[j] = k[j];
          for (int j = 0; j < 3; j++) gt(kd + j, 3, t[j]);  // t[j][row]: column j of G g
          for (int row = 0; row < 6; row++) {
            const double col[3] = {t[0][row], t[1][row], t[2][row]};
            gt(col, 1, r);
            for (int s = 0; s < 6; s++) v[6 * row + s][i] = static_cast<float>(r[s]);
          }
        }
        for (int xi = 0; xi < 36; xi++) std::memcpy(u + (xi * rt.rows + o0) * g.C + c * mr, v[xi], static_cast<size_t>(mr) * sizeof(float));
      }
    }
  });
}

/** How far ahead of the row it copies f4Fill fetches the input (floats: 2 KiB, 16 rows of 32 columns). */
constexpr int64_t kFillAhead = 512;

/**
 * Slab rows [lo, hi) (padded rows slab.r0 + lo ..) of one image in the 4-phase layout: padded column q at phase q % 4,
 * index q / 4, split by two rounds of even/odd deinterleaves of 4 N input columns loaded straight from the row (masked
 * where they cross its ends: a padded copy of the row first stalled every load on store forwarding).
 */
void f4Fill(const ConvGeom& g, const Slab& slab, const float* image, int64_t lo, int64_t hi) {
  constexpr int64_t N = S::N;
  const int64_t Wq = slab.Wq, ps = slab.phaseStride, W = g.W;
  const int64_t imageFloats = g.C * g.H * W;
  const bool fetchAhead = !f4CachedActivations();
  for (int64_t c = 0; c < g.C; c++) {
    for (int64_t r = lo; r < hi; r++) {
      float* dst = slab.data + c * slab.chanStride + r * Wq;
      const int64_t ih = slab.r0 + r - g.PT;
      if (ih < 0 || ih >= g.H) {
        for (int p = 0; p < 4; p++) std::memset(dst + p * ps, 0, static_cast<size_t>(Wq) * sizeof(float));
        continue;
      }
      const float* src = image + (c * g.H + ih) * W;
      // The rows are read in memory order, but a channel plane is a page or less (32x32 floats: one), and the
      // hardware prefetchers do not follow a stream into the next page: fetch the lines kFillAhead floats on. Not
      // where the input is still in the caches (f4CachedActivations): Emerald Rapids (s41), model-profile resnet20 64
      // compiled|infer --threads 1 --isa=avx2 --cpu-time, one binary with and without the fetches (planes padded as
      // f4PassPlaneStride), 5 interleaved rounds at load 4-5, the six 16 -> 16 layers compiled 10.87-10.99 ->
      // 10.62-10.93 ms, infer 10.74-11.54 -> 10.48-10.77.
      const int64_t ahead = (c * g.H + ih) * W + kFillAhead;
      if (fetchAhead) {
        for (int64_t q = ahead; q < std::min(ahead + W, imageFloats); q += 64 / sizeof(float)) SN_PREFETCH(image + q);
      }
      // Input columns [col, col + N), zero outside [0, W).
      auto part = [&](int64_t col) {
        if (col >= 0 && col + N <= W) return S::load(src + col);
        const int64_t lo = std::max<int64_t>(0, -col), hi = std::min<int64_t>(N, W - col);
        return hi > lo ? S::maskLoad(S::mask(laneBits(lo, hi)), src + col) : S::zero();
      };
      for (int64_t k = 0; k < Wq; k += N) {
        const int64_t col = 4 * k - g.PL;
        const S::V a0 = part(col), a1 = part(col + N), a2 = part(col + 2 * N), a3 = part(col + 3 * N);
        const S::V e01 = S::evens(a0, a1), o01 = S::odds(a0, a1), e23 = S::evens(a2, a3), o23 = S::odds(a2, a3);
        // Whole vectors wherever the lanes past the row land on this phase's rows r + 1 .. hi - 1, which the loop
        // writes afterwards: the masked stores (pieces of several stores each on AVX2) are left to the range's last
        // rows, whose lanes would reach the next phase's row 0 (ResNet-20's 8x8 and 16x16 rows had 4 a row).
        const uint32_t bits = r * Wq + k + N <= hi * Wq ? kAllLanes : laneBits(0, std::min<int64_t>(N, Wq - k));
        storeLanes(dst + k, bits, S::evens(e01, e23));
        storeLanes(dst + ps + k, bits, S::evens(o01, o23));
        storeLanes(dst + 2 * ps + k, bits, S::odds(e01, e23));
        storeLanes(dst + 3 * ps + k, bits, S::odds(o01, o23));
      }
    }
  }
}

/** t = B^T d for one column (or row) of 6 vectors. */
SN_INLINE void f4InputLine(const S::V* d, S::V* t) {
  const S::V m4 = S::set1(-4.f), m5 = S::set1(-5.f), p4 = S::set1(4.f);
  const S::V p = S::fma(m4, d[2], d[4]), q = S::fma(m4, d[1], d[3]);
  const S::V r = S::sub(d[4], d[2]), h = S::sub(d[3], d[1]), s = S::add(h, h);
  t[0] = S::fma(m5, d[2], S::fma(p4, d[0], d[4]));
  t[1] = S::add(p, q);
  t[2] = S::sub(p, q);
  t[3] = S::add(r, s);
  t[4] = S::sub(r, s);
  t[5] = S::fma(m5, d[3], S::fma(p4, d[1], d[5]));
}

/** y = A^T m for one column (or row) of 6 vectors. */
SN_INLINE void f4OutputLine(const S::V* m, S::V* y) {
  const S::V a = S::add(m[1], m[2]), b = S::sub(m[1], m[2]), c = S::add(m[3], m[4]), d = S::sub(m[3], m[4]);
  y[0] = S::add(S::add(m[0], a), c);
  y[1] = S::fma(S::set1(2.f), d, b);
  y[2] = S::fma(S::set1(4.f), c, a);
  y[3] = S::add(S::fma(S::set1(8.f), d, b), m[5]);
}

/**
 * Input transform of every channel for NV vectors of tiles: V[xi][c][NV N], planes xs floats apart. at[v][r]: slab
 * offset of piece r's lane 0 patch (row 0, phase 0, column of its first tile less its first lane). R == 1: one
 * piece; R == 2: the second half of the lanes is the tile row below (4 slab rows down); R == 4 or 8: pieces of
 * N / R lanes (bits).
 */
template <int R, int NV>
void f4Input(const Slab& slab, int64_t C, const int64_t (*at)[kF4Pieces], const uint32_t (*bits)[kF4Pieces], float* V, int64_t xs) {
  constexpr int64_t kPanel = NV * S::N;
  const int64_t ps = slab.phaseStride, Wq = slab.Wq;
  S::M m[NV][kF4Pieces];
  for (int v = 0; v < NV; v++)
    for (int r = 0; r < kF4Pieces; r++) m[v][r] = S::mask(R >= 4 && r < R ? bits[v][r] : 0u);
  for (int64_t c = 0; c < C; c++) {
    const float* base = slab.data + c * slab.chanStride;
    for (int v = 0; v < NV; v++) {
      S::V t[6][6];
#pragma GCC unroll 6
      for (int j = 0; j < 6; j++) {
        const int64_t off = (j & 3) * ps + (j >> 2);
        const float* col = base + at[v][0] + off;
        S::V d[6], e[6];
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) {
          if constexpr (R == 1) {
            d[i] = S::load(col + i * Wq);
          } else if constexpr (R == 2) {
            d[i] = S::loadHalves(col + i * Wq, col + (i + 4) * Wq);
          } else {
            d[i] = winoLoad<R>(base, at[v], m[v], off + i * Wq);
          }
        }
        f4InputLine(d, e);
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) t[i][j] = e[i];
      }
      float* out = V + c * kPanel + v * S::N;
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) {
        S::V e[6];
        f4InputLine(t[i], e);
#pragma GCC unroll 6
        for (int k = 0; k < 6; k++) S::store(out + (6 * i + k) * xs, e[k]);
      }
    }
  }
}

/**
 * F(4x4, 3x3) read straight from the input (f4Direct): a vector of tiles is 4 groups of N / 4 tiles of one tile
 * row each, group k's patch columns from N input columns at its first tile (k: a), the same N 4 columns back (l)
 * and 4 on (r). A 4x4 transpose within each group of 4 lanes (zip4) of a0 .. a3 gives patch columns 1 .. 4, the
 * last lanes of that of l0 .. l3 column 0 and the first of r0 .. r3 column 5: lane 4 b + s holds tile b of group
 * 0, 2, 1, 3 (s = 0 .. 3), which the output transform undoes with zip4s alone (f4Output's Grouped). No padded
 * copy of the input (f4Fill) and no cross-half shuffle on AVX2; masked loads only at a row's two ends.
 * at: x offset of the group's first tile at channel 0, input row `row` (patch row 0, 4 ty - 1: may be -1);
 * rows outside [0, H) read zeros (dead groups: row H).
 */
struct F4Group {
  int64_t at = 0, row = 0;
  bool left = false, right = false;
};

/**
 * Whether f4InputDirect runs: padding 1 on every side, whole 4x4 tiles, two tile rows (R == 2) or whole images
 * (R == 4) a vector, N / 4 tiles in a group. Zen 5, isa-check --bench-only, const column, 1 thread, CPU time, 4
 * interleaved rounds against main's binary at load 7-16, GFLOP/s ranges before -> after: avx2 64x32x16x16 -> 32
 * 174-222 -> 226-266, 64x64x8x8 -> 64 167-242 -> 315-335; avx512 (16 lanes) 64x16x32x32 -> 16 161-247 -> 201-268,
 * 64x32x16x16 -> 32 195-299 -> 325-404. One tile row a vector (R == 1: ResNet-20's 32x32 on 8 lanes) read its 6
 * input rows per vector instead of the slab's 4, and measured no faster there (64x16x32x32 -> 16, 8 rounds at
 * load 16: 149-167 against 104-167; the model's layer at 2 threads 12.7-14.4 against 12.3-13.0 ms), so it keeps
 * the slab.
 */
bool f4Direct(const ConvGeom& g, int R) {
  return (R == 2 || R == 4) && f4TilesW(g) * R == S::N && !f4Partial(g) && g.PL == 1 && g.PT == 1 && g.W == g.OW && g.H == g.OH;
}

/** Input transform of every channel for NV vectors of grouped tiles (F4Group), V as in f4Input. */
template <int NV>
void f4InputDirect(const ConvGeom& g, const float* x, const F4Group (*grp)[4], int64_t ahead, float* V, int64_t xs) {
  constexpr int64_t N = S::N, kPanel = NV * N;
  const int64_t H = g.H, W = g.W, plane = g.H * g.W;
  const S::M mLeft = S::mask(laneBits(4, N)), mRight = S::mask(laneBits(0, N - 4));
  for (int64_t c = 0; c < g.C; c++) {
    for (int v = 0; v < NV; v++) {
      S::V d[6][6];
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) {
        S::V a[4], l[4], r[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
          const F4Group& q = grp[v][k];
          const int64_t ih = q.row + i;
          if (ih < 0 || ih >= H) {
            a[k] = l[k] = r[k] = S::zero();
            continue;
          }
          const float* p = x + q.at + c * plane + i * W;
          SN_PREFETCH(p + ahead);
          a[k] = S::load(p);
          l[k] = q.left ? S::maskLoad(mLeft, p - 4) : S::load(p - 4);
          r[k] = q.right ? S::maskLoad(mRight, p + 4) : S::load(p + 4);
        }
        const S::V t0 = S::zip4Lo(a[0], a[1]), t1 = S::zip4Hi(a[0], a[1]), t2 = S::zip4Lo(a[2], a[3]), t3 = S::zip4Hi(a[2], a[3]);
        d[i][0] = S::zip4Hi(S::zip4Hi(l[0], l[1]), S::zip4Hi(l[2], l[3]));
        d[i][1] = S::zip4Lo(t0, t2);
        d[i][2] = S::zip4Hi(t0, t2);
        d[i][3] = S::zip4Lo(t1, t3);
        d[i][4] = S::zip4Hi(t1, t3);
        d[i][5] = S::zip4Lo(S::zip4Lo(r[0], r[1]), S::zip4Lo(r[2], r[3]));
      }
      S::V t[6][6];
#pragma GCC unroll 6
      for (int j = 0; j < 6; j++) {
        S::V col[6], e[6];
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) col[i] = d[i][j];
        f4InputLine(col, e);
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) t[i][j] = e[i];
      }
      float* out = V + c * kPanel + v * N;
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) {
        S::V e[6];
        f4InputLine(t[i], e);
#pragma GCC unroll 6
        for (int k = 0; k < 6; k++) S::store(out + (6 * i + k) * xs, e[k]);
      }
    }
  }
}

/**
 * Where a run of output columns of a pass goes: its offset (output row 0 of its tiles) from y and res, or -1; the
 * output rows of its tiles below OH (1-4) and the lanes (columns) left of OW, for tiles past the plane's edges.
 */
struct F4Out {
  int64_t at = -1;
  int rows = 0;
  uint32_t lanes = 0;
};

/**
 * Whether f4Output writes whole output vectors with non-temporal stores (S::stream, past the caches; each task ends
 * with S::streamFence): the 8-lane AVX2 kernels, y 32-byte aligned and output rows of whole vectors (every run
 * starts a vector apart). perf of isa-check's 64x16x32x32 -> 16 (avx2, 1 thread) had two fifths of the layer's
 * samples in the output transform, most on the first store to each line of y (the line read in for ownership
 * before it is overwritten whole); streamed, the line is never read. Zen 5, isa-check --bench-only "64x16x32x32 *
 * 16x16|64x32x16x16 * 32x32|64x64x8x8 * 64" --columns const --epilogue --cpu-time --threads 1 (chrt -f 10), the same
 * binary with plain and streamed stores, 8 interleaved rounds at load 11-14, GFLOP/s medians (ranges): 64x16x32x32
 * -> 16 148 (141-167) -> 169 (160-171), 64x32x16x16 -> 32 251 (242-261) -> 261 (255-269), 64x64x8x8 -> 64 317
 * (299-329) -> 326 (313-330). In the model the next layer then reads y from memory, which measured cheaper than the
 * ownership reads: bench/model-profile.ts resnet20 64 infer --threads 1 --isa=avx2 --cpu-time, 3 interleaved
 * rounds at load 11-12, kernel CPU ms per inference, medians: 16 -> 16 14.0 -> 12.2, 32 -> 32 6.9 -> 6.6, 64 -> 64
 * 5.4 -> 5.4, the 1x1/2 shortcut after the 16 -> 16 layers 0.81 -> 0.84, all kernels 32.5 -> 30.3; compiled (slices
 * of 16 images, 1 MiB outputs) 13.6 -> 11.8, 7.5 -> 6.5, 5.9 -> 5.5, 33.4 -> 32.2. The 16-lane kernels keep plain
 * stores (not measured).
 * Only up to 32 input channels (Cg): there the GEMM per output is short and the stores a large share of the layer.
 * All-CNN-C's 96 -> 96 layer (b64, 25 MB of output) gained nothing streamed and its stride-2 consumer lost, reading
 * y from memory instead of the caches: model-profile allCnnC 64 infer --threads 1 --isa=avx2 --cpu-time, 4
 * interleaved rounds at load 0.6-2 (lead), kernel CPU ms, plain -> streamed: the 96 -> 96 layer 32.2-36.0 ->
 * 32.5-37.0, the 3x3/2 layer after it 21.1-26.9 -> 22.1-28.9, all kernels 130-153 -> 137-164; ResNet-18 b2's four
 * 64 -> 64 layers at 56x56 6.8-8.4 -> 7.0-8.2 (no gain).
 * Only on cores of less than 2 MiB of L2 (f4CachedActivations false; every AMD core measured above has 0.5-1 MiB, and
 * unknown sizes keep streaming): on Intel Emerald Rapids (2 MiB L2, 300 MiB L3, s41) plain stores ran every layer of ResNet-20 faster,
 * the F(4x4, 3x3) layers themselves too (their inputs, an earlier layer's y, then come from the caches), the 1x1/2
 * shortcut reading the 16 -> 16 layer's y most of all. bench/model-profile.ts resnet20 64 compiled|infer --threads 1
 * --isa=avx2 --cpu-time, one binary with the rule off and on, 3 interleaved rounds at load 5-7, kernel CPU ms per
 * inference, streamed -> plain: compiled 16 -> 16 12.8-13.0 -> 11.5-12.4, 32 -> 32 6.3-6.4 -> 5.4-5.8, 3x3/2 16 -> 32
 * 2.2-2.5 -> 1.8-1.9, 1x1/2 16 -> 32 0.84-0.92 -> 0.59-0.64, all kernels 30.3-31.2 -> 26.5-28.5; infer 16 -> 16
 * 12.6-13.3 -> 11.2-12.1, all kernels 30.0-30.8 -> 25.9-27.9.
 */
bool f4Streams(const ConvGeom& g, const float* y) {
  return S::kStream && S::N == 8 && kIsa == Isa::Avx2 && !f4CachedActivations() && g.Cg <= 32 &&
         reinterpret_cast<uintptr_t>(y) % (4 * S::N) == 0 && g.OW % S::N == 0;
}

/**
 * Output transform of channel o for the used vectors of a pass: bias, the residual (null, or of the output's
 * layout) and relu. The interleaved result of vector v is 4 vectors of N output columns, k holding tiles
 * k N / 4 .. (k + 1) N / 4 - 1; out[v][k]: where they go. R == 8 (pieces of N / 8 tiles): out[v][r] per piece,
 * vector k's halves pieces 2k and 2k + 1 (lanes of a half). Partial: outputs not in whole 4x4 tiles, stored
 * (and the residual read) by out's rows and lanes; else every run is 4 rows of whole vectors.
 */
template <int NV, int R, bool Partial, bool Grouped = false>
void f4Output(const float* M, int64_t xs, const F4Out (*out)[kF4Pieces], int used, float bias, const float* res, bool relu, float* y,
              int64_t OW, bool stream = false) {
  constexpr int64_t N = S::N;
  const S::V b = S::set1(bias), zero = S::zero();
  for (int v = 0; v < used; v++) {
    S::V s[4][6];
#pragma GCC unroll 6
    for (int k = 0; k < 6; k++) {
      S::V m[6], r[4];
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) m[i] = S::load(M + (6 * i + k) * xs + v * N);
      f4OutputLine(m, r);
#pragma GCC unroll 4
      for (int a = 0; a < 4; a++) s[a][k] = r[a];
    }
#pragma GCC unroll 4
    for (int a = 0; a < 4; a++) {
      S::V r[4];
      f4OutputLine(s[a], r);
      for (int j = 0; j < 4; j++) r[j] = S::add(r[j], b);
      S::V o[4];
      if constexpr (Grouped) {
        // Lane 4 b + s holds tile b of group 0, 2, 1, 3 (f4InputDirect): o[k] is group k's N columns.
        const S::V p0 = S::zip4Lo(r[0], r[2]), q0 = S::zip4Lo(r[1], r[3]), p1 = S::zip4Hi(r[0], r[2]), q1 = S::zip4Hi(r[1], r[3]);
        o[0] = S::zip4Lo(p0, q0);
        o[1] = S::zip4Lo(p1, q1);
        o[2] = S::zip4Hi(p0, q0);
        o[3] = S::zip4Hi(p1, q1);
      } else {
        const S::V p0 = S::zipLo(r[0], r[2]), q0 = S::zipLo(r[1], r[3]), p1 = S::zipHi(r[0], r[2]), q1 = S::zipHi(r[1], r[3]);
        o[0] = S::zipLo(p0, q0);
        o[1] = S::zipHi(p0, q0);
        o[2] = S::zipLo(p1, q1);
        o[3] = S::zipHi(p1, q1);
      }
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        if constexpr (R == 8) {
          // Two pieces of N / 8 tiles (N / 2 output columns) in each half.
          const F4Out& lo = out[v][2 * k];
          const F4Out& hi = out[v][2 * k + 1];
          if (lo.at < 0) continue;
          const int64_t atLo = lo.at + a * OW, atHi = (hi.at < 0 ? lo.at : hi.at) + a * OW - N / 2;
          if constexpr (Partial) {
            // Each half's columns left of OW, in its piece's rows below OH (a tile row of 7x7 outputs has 4 or 3).
            const uint32_t bitsLo = a < lo.rows ? lo.lanes : 0u, bitsHi = hi.at >= 0 && a < hi.rows ? hi.lanes << (N / 2) : 0u;
            if (!(bitsLo | bitsHi)) continue;
            if (res) o[k] = S::add(o[k], S::maskLoadOr(loadLanes(res + atLo, bitsLo), S::mask(bitsHi), res + atHi));
            if (relu) o[k] = S::max(zero, o[k]);
            storeLanes(y + atLo, bitsLo, o[k]);
            storeLanes(y + atHi, bitsHi, o[k]);
          } else {
            if (res) o[k] = S::add(o[k], S::loadHalves(res + atLo, res + atHi + N / 2));
            if (relu) o[k] = S::max(zero, o[k]);
            storeLanes(y + atLo, laneBits(0, N / 2), o[k]);
            if (hi.at >= 0) storeLanes(y + atHi, laneBits(N / 2, N), o[k]);
          }
        } else {
          const F4Out& p = out[v][k];
          if (p.at < 0) continue;
          const int64_t at = p.at + a * OW;
          if constexpr (Partial) {
            if (a >= p.rows) continue;
            if (res) o[k] = S::add(o[k], loadLanes(res + at, p.lanes));
            if (relu) o[k] = S::max(zero, o[k]);
            storeLanes(y + at, p.lanes, o[k]);
          } else {
            if (res) o[k] = S::add(o[k], S::load(res + at));
            if (relu) o[k] = S::max(zero, o[k]);
            if (stream) {
              S::stream(y + at, o[k]);
            } else {
              S::store(y + at, o[k]);
            }
          }
        }
      }
    }
  }
}

/** Fetches the residual lines a pass's output transforms read (out as in f4Output), while its input transform and GEMMs run (as prefetchResidual). */
template <int NV>
void f4PrefetchResidual(const ConvGeom& g, const F4Out (*out)[kF4Pieces], int pieces, int used, const float* res) {
  for (int64_t o = 0; o < g.O; o++)
    for (int v = 0; v < used; v++)
      for (int k = 0; k < pieces; k++)
        if (out[v][k].at >= 0)
          for (int a = 0; a < out[v][k].rows; a++) SN_PREFETCH(res + o * g.P + out[v][k].at + a * g.OW);
}

/**
 * The transforms and GEMMs of one pass (NV vectors) and its outputs, y and res at the pass's first image: from the
 * slab (at, bits), or with grp straight from x (f4InputDirect).
 */
template <class T, int R>
void f4Pass(const ConvGeom& g, const Slab& slab, const float* u, const int64_t (*at)[kF4Pieces], const uint32_t (*bits)[kF4Pieces],
            const F4Out (*out)[kF4Pieces], int used, const float* bias, const float* res, bool relu, float* y, float* V, const float* x = nullptr,
            const F4Group (*grp)[4] = nullptr, int64_t ahead = 0) {
  const WinoRows rt = f4RowTiles<T::MR>(g);
  const int64_t vs = f4PassPlaneStride(g.C * T::kPanel), xs = f4PassPlaneStride(rt.rows * T::kPanel), wide = rt.tiles - rt.narrow;
  float* M = V + 36 * vs;
  if (res) f4PrefetchResidual<T::NV>(g, out, R == 8 ? 8 : 4, used, res);
  if (grp) {
    f4InputDirect<T::NV>(g, x, grp, ahead, V, vs);
  } else {
    f4Input<R, T::NV>(slab, g.C, at, bits, V, vs);
  }
  for (int xi = 0; xi < 36; xi++) {
    const float* ux = u + xi * rt.rows * g.C;
    for (int64_t ot = 0; ot < wide; ot++) winoGemm<T>(g.C, ux + ot * T::MR * g.C, V + xi * vs, M + xi * xs + ot * T::MR * T::kPanel);
    if constexpr (T::MR == 6) {
      for (int64_t ot = wide; ot < rt.tiles; ot++) {
        const int64_t o0 = rt.base(ot);
        winoGemm<WinoTile<4, T::NV>>(g.C, ux + o0 * g.C, V + xi * vs, M + xi * xs + o0 * T::kPanel);
      }
    }
  }
  const bool partial = f4Partial(g) || f4PartLanes(f4TilesW(g), R);
  const bool stream = f4Streams(g, y);
  for (int64_t o = 0; o < g.O; o++) {
    const float b = bias ? bias[o] : 0.f;
    const float* r = res ? res + o * g.P : nullptr;
    if constexpr (R != 8) {
      if (grp) {
        f4Output<T::NV, R, false, true>(M + o * T::kPanel, xs, out, used, b, r, relu, y + o * g.P, g.OW, stream);
        continue;
      }
    }
    if (partial) {
      f4Output<T::NV, R, true>(M + o * T::kPanel, xs, out, used, b, r, relu, y + o * g.P, g.OW);
    } else {
      f4Output<T::NV, R, false>(M + o * T::kPanel, xs, out, used, b, r, relu, y + o * g.P, g.OW, stream);
    }
  }
}

/** V and M of a pass (planes f4PassPlaneStride apart). */
template <class T>
int64_t f4PanelFloats(const ConvGeom& g) {
  return 36 * (f4PassPlaneStride(g.C * T::kPanel) + f4PassPlaneStride(f4RowTiles<T::MR>(g).rows * T::kPanel));
}

/**
 * The padded input as a stride-4 slab: 4 f4SlabTiles + 2 padded columns (4 TW + 2 where rows fill whole vectors;
 * rows: 4 TH + 2; those past the input read zeros).
 */
ConvGeom f4SlabGeom(const ConvGeom& g) {
  ConvGeom sg = g;
  sg.SW = 4;
  sg.PR = std::max<int64_t>(g.PR, 4 * f4SlabTiles(f4TilesW(g)) + 2 - g.W - g.PL);
  return sg;
}

/** Where output run (tile row ty, output column col, up to `cols` columns) goes: -1 past the last tile row or column. */
F4Out f4Out(const ConvGeom& g, int64_t base, int64_t ty, int64_t col, int64_t cols) {
  F4Out p;
  if (ty >= f4TilesH(g) || col >= g.OW) return p;
  p.at = base + 4 * ty * g.OW + col;
  p.rows = static_cast<int>(std::min<int64_t>(4, g.OH - 4 * ty));
  p.lanes = laneBits(0, std::min(cols, g.OW - col));
  return p;
}

/**
 * Vector vec of an image's tiles (R == 1: a row segment of N tiles, segs segments a tile row; R == 2: two tile rows):
 * its first tile row, its offset `at` in a slab whose rows start at r0, and where its output runs go (R == 2: the
 * second half's tile row past an odd TH loads slab rows of zeros and stores nothing).
 */
template <int R>
int64_t f4VectorTiles(const ConvGeom& g, int64_t vec, int64_t segs, int64_t r0, int64_t Wq, int64_t& at, F4Out (&out)[kF4Pieces]) {
  constexpr int64_t N = S::N;
  const int64_t ty = R == 1 ? vec / segs : 2 * vec, tx0 = R == 1 ? (vec % segs) * N : 0;
  at = (4 * ty - r0) * Wq + tx0;
  for (int k = 0; k < 4; k++) out[k] = R == 1 ? f4Out(g, 0, ty, 4 * tx0 + k * N, N) : f4Out(g, 0, ty + k / 2, (k % 2) * N, N);
  return ty;
}

/** Passes of NV vectors an image (R == 1 or 2). */
template <class T, int R>
int64_t f4Passes(const ConvGeom& g) {
  const int64_t TH = f4TilesH(g), TW = f4TilesW(g);
  const int64_t vectors = R == 1 ? TH * ((TW + S::N - 1) / S::N) : (TH + 1) / 2;
  return (vectors + T::NV - 1) / T::NV;
}

/** R == 1 or 2: each image's vectors of tiles, split into chunks of passes where the batch is small. */
template <class T, int R>
void f4Run(const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y, ThreadPool& pool) {
  constexpr int NV = T::NV;
  constexpr int64_t N = S::N;
  const int64_t TH = f4TilesH(g), TW = f4TilesW(g);
  const int64_t segs = R == 1 ? (TW + N - 1) / N : 1;
  const int64_t vectors = R == 1 ? TH * segs : (TH + 1) / 2;
  const ConvGeom sg = f4SlabGeom(g);
  const int64_t passes = f4Passes<T, R>(g);
  // Chunks per image for 3 tasks a thread; on several threads, a pass a chunk where that is at most twice as many:
  // equal tasks, which the pool's threads balance. ResNet-18's 2x128x28x28 -> 128 (4 passes an image) had chunks of
  // 1, 1 and 2 passes. Zen 5, 2 threads, bench/timeline.ts resnet18 2 --eager --simulate 2 (its 3 such calls per
  // inference; each section's tasks replayed at their CPU cost), main's addon and this one alternated, 2 rounds, load
  // 17-18: predicted 3.33-3.56 -> 2.97-2.98 ms on avx2 (1.67-1.69x -> 1.93x the task CPU), 2.04-2.10 -> 1.80-1.90 on
  // avx512 (1.72-1.75x -> 1.93-1.95x); task CPU unchanged (avx2 5.54-6.01 and 5.74-5.76 ms, avx512 3.56-3.61 and 3.50-3.67).
  const int64_t want = (3 * pool.size() + g.N - 1) / g.N;
  const int64_t chunks = g.N >= 3 * pool.size() ? 1 : pool.size() > 1 && passes <= 2 * want ? passes : std::max<int64_t>(1, std::min(passes, want));
  auto tileRow = [&](int64_t vec) { return R == 1 ? vec / segs : 2 * vec; };
  // x offset of vector vec's first group (f4InputDirect, R == 2).
  auto groupAt = [&](int64_t vec) { return (4 * tileRow(vec) - 1) * g.W; };
  const bool direct = f4Direct(g, R);
  pool.run(g.N * chunks, [&](int64_t t) {
    const int64_t n = t / chunks, ch = t % chunks;
    const int64_t v0 = NV * (passes * ch / chunks), v1 = std::min(vectors, NV * (passes * (ch + 1) / chunks));
    if (v0 >= v1) return;
    const int64_t r0 = 4 * tileRow(v0), taskRows = 4 * (tileRow(v1 - 1) + R) + 2 - r0;
    const float* image = x + n * g.C * g.H * g.W;
    Slab slab(sg, r0, taskRows, nullptr);
    if (!direct) {
      slab.data = scratch(static_cast<size_t>(Slab::floats(sg, taskRows, g.C)), kSlabSlot);
      f4Fill(g, slab, image, 0, slab.rows);
    }
    float* V = scratch(static_cast<size_t>(f4PanelFloats<T>(g)), kPanelSlot);
    for (int64_t s = v0; s < v1; s += NV) {
      int64_t at[NV][kF4Pieces] = {};
      F4Out out[NV][kF4Pieces];
      F4Group grp[NV][4];
      const uint32_t bits[NV][kF4Pieces] = {};
      for (int v = 0; v < NV; v++) {
        const int64_t ty = f4VectorTiles<R>(g, std::min(s + v, v1 - 1), segs, r0, slab.Wq, at[v][0], out[v]);
        // R == 2: groups of N / 4 tiles, two in each of the vector's tile rows (past an odd TH: zeros).
        for (int k = 0; k < 4 && direct; k++) {
          const int64_t gy = ty + k / 2, gx = (k % 2) * N / 4;
          F4Group& q = grp[v][k];
          q.row = gy < TH ? 4 * gy - 1 : g.H;
          q.at = q.row * g.W + 4 * gx;
          q.left = gx == 0;
          q.right = 4 * gx + N == g.W;
        }
      }
      const int used = static_cast<int>(std::min<int64_t>(NV, v1 - s));
      // The next pass's inputs, fetched while this one's are read: the next vectors, else the next task's (the pool
      // hands a thread consecutive tasks).
      const int64_t next = s + NV < v1 ? s + NV : v1 < vectors ? v1 : -1;
      const int64_t ahead = next >= 0 ? groupAt(next) - groupAt(s) : g.C * g.H * g.W + groupAt(0) - groupAt(s);
      f4Pass<T, R>(g, slab, u, at, bits, out, used, bias, residual ? residual + n * g.O * g.P : nullptr, relu, y + n * g.O * g.P, V, image,
                   direct ? grp : nullptr, ahead);
    }
    if (f4Streams(g, y)) S::streamFence();
  });
}

/**
 * Whether f4RunShared runs: 8 lanes, R 1 or 2, a transformed filter past 4 MiB that several passes read (f4Run streams
 * it from L3 once a pass, and once a thread), and every pass's input transforms plus a task's sums (256 KiB) within
 * three quarters of this CPU's L2 (cpuL2Bytes: each task reads all the input transforms; 1 MiB L2s, Zen 4 and Zen 5,
 * keep f4Run for ResNet-18's 14x14 layers, 1.2 MB of them at batch 2). Emerald Rapids (2 MiB L2; past it a summing
 * loop read 10-17 GB/s on 1 core), ResNet-18 b2's three 2x256x14x14 -> 256 layers, bench/model-profile.ts resnet18 2
 * <mode> --threads <t> --isa=avx2 --cpu-time --iters=6, f4Run -> this, 3-4 interleaved rounds at load 7-8, kernel CPU
 * ms (min, median): compiled 1 thread 6.55, 7.09 -> 6.29, 6.39; infer 1 thread 6.30, 6.82 -> 6.58, 6.62; compiled 2
 * threads (both threads' CPU) 7.16, 7.58 -> 6.55, 6.77. In isa-check's repeated calls (U stays in L3) it runs 5%
 * slower: 2x256x14x14 -> 256 const --epilogue, 1 thread, 303-304 against 319-320 direct-equivalent GFLOP/s.
 */
template <class T, int R>
bool f4SharedFits(const ConvGeom& g) {
  if (S::N != 8 || !(R == 1 || R == 2)) return false;
  const int64_t all = g.N * f4Passes<T, R>(g);
  const int64_t uBytes = 36 * f4RowTiles<T::MR>(g).rows * g.C * 4;
  const int64_t vBytes = all * 36 * f4PlaneStride(g.C * T::kPanel) * 4;
  return all >= 2 && uBytes > (int64_t{4} << 20) && 4 * (vBytes + (int64_t{256} << 10)) <= 3 * cpuL2Bytes();
}

/**
 * R == 1 or 2 at small batches whose transformed filter U outgrows L2 (f4SharedFits): every pass's input transform
 * first (tasks over passes), then tasks over groups of output-channel tiles, each running every pass's GEMMs through
 * its U tiles (read once a call instead of once a pass) and their output transforms.
 */
template <class T, int R>
void f4RunShared(const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y,
                 ThreadPool& pool) {
  constexpr int NV = T::NV;
  constexpr int64_t N = S::N;
  const int64_t TH = f4TilesH(g), TW = f4TilesW(g);
  const int64_t segs = R == 1 ? (TW + N - 1) / N : 1;
  const int64_t vectors = R == 1 ? TH * segs : (TH + 1) / 2;
  const int64_t passes = f4Passes<T, R>(g), all = g.N * passes;
  const ConvGeom sg = f4SlabGeom(g);
  const WinoRows rt = f4RowTiles<T::MR>(g);
  const int64_t vs = f4PlaneStride(g.C * T::kPanel), xs = f4PlaneStride(rt.rows * T::kPanel);
  float* Vall = scratch(static_cast<size_t>(all * 36 * (vs + xs)), kSharedSlot);
  float* Mall = Vall + all * 36 * vs;
  struct PassOut {
    F4Out out[NV][kF4Pieces];
    int used = 0;
  };
  std::vector<PassOut> outs(static_cast<size_t>(all));
  auto tileRow = [&](int64_t vec) { return R == 1 ? vec / segs : 2 * vec; };
  pool.run(all, [&](int64_t t) {
    const int64_t n = t / passes, p = t % passes;
    const int64_t v0 = p * NV, v1 = std::min(vectors, v0 + NV);
    const int64_t r0 = 4 * tileRow(v0), taskRows = 4 * (tileRow(v1 - 1) + R) + 2 - r0;
    Slab slab(sg, r0, taskRows, scratch(static_cast<size_t>(Slab::floats(sg, taskRows, g.C)), kSlabSlot));
    f4Fill(g, slab, x + n * g.C * g.H * g.W, 0, slab.rows);
    int64_t at[NV][kF4Pieces] = {};
    const uint32_t bits[NV][kF4Pieces] = {};
    PassOut& po = outs[static_cast<size_t>(t)];
    for (int v = 0; v < NV; v++) {
      f4VectorTiles<R>(g, std::min(v0 + v, v1 - 1), segs, r0, slab.Wq, at[v][0], po.out[v]);
    }
    po.used = static_cast<int>(v1 - v0);
    f4Input<R, NV>(slab, g.C, at, bits, Vall + t * 36 * vs, vs);
  });
  // Groups of output-channel tiles whose sums (every pass) take about 256 KiB, at least two a thread.
  const int64_t perTile = all * 36 * T::MR * T::kPanel * 4;
  const int64_t groups = std::min(rt.tiles, std::max<int64_t>(2 * pool.size(), (rt.tiles * perTile + (256 << 10) - 1) / (256 << 10)));
  const bool partial = f4Partial(g) || f4PartLanes(TW, R);
  pool.run(groups, [&](int64_t grp) {
    const int64_t ot0 = rt.tiles * grp / groups, ot1 = rt.tiles * (grp + 1) / groups;
    for (int xi = 0; xi < 36; xi++) {
      const float* ux = u + xi * rt.rows * g.C;
      for (int64_t ot = ot0; ot < ot1; ot++) {
        for (int64_t t = 0; t < all; t++) winoGemmTile<T>(rt, ot, g.C, ux, Vall + t * 36 * vs + xi * vs, Mall + t * 36 * xs + xi * xs);
      }
    }
    const int64_t c0 = rt.base(ot0), c1 = std::min(g.O, rt.base(ot1));
    for (int64_t t = 0; t < all; t++) {
      const int64_t n = t / passes;
      const PassOut& po = outs[static_cast<size_t>(t)];
      for (int64_t o = c0; o < c1; o++) {
        const float b = bias ? bias[o] : 0.f;
        const float* r = residual ? residual + (n * g.O + o) * g.P : nullptr;
        float* yo = y + (n * g.O + o) * g.P;
        const float* M = Mall + t * 36 * xs + o * T::kPanel;
        if (partial) {
          f4Output<NV, R, true>(M, xs, po.out, po.used, b, r, relu, yo, g.OW);
        } else {
          f4Output<NV, R, false>(M, xs, po.out, po.used, b, r, relu, yo, g.OW);
        }
      }
    }
  });
}

/**
 * R == 4 or 8 (TW = N / R, N a multiple of an image's TH TW tiles): N / (TH TW) whole images a vector, each piece
 * one tile row of one image; a task takes a pass of NV vectors, its images' slabs side by side.
 */
template <class T, int R>
void f4RunImages(const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y, ThreadPool& pool) {
  constexpr int NV = T::NV;
  const int64_t TH = f4TilesH(g), TW = f4TilesW(g), perVector = S::N / (TH * TW), perPass = NV * perVector;
  const ConvGeom sg = f4SlabGeom(g);
  const int64_t rows = 4 * TH + 2, slabFloats = Slab::floats(sg, rows, g.C);
  const bool direct = f4Direct(g, R);
  pool.run((g.N + perPass - 1) / perPass, [&](int64_t p) {
    const int64_t n0 = p * perPass, images = std::min(perPass, g.N - n0);
    const float* first = x + n0 * g.C * g.H * g.W;
    float* buffer = direct ? nullptr : scratch(static_cast<size_t>(images * slabFloats), kSlabSlot);
    for (int64_t i = 0; i < images && !direct; i++) {
      Slab slab(sg, 0, rows, buffer + i * slabFloats);
      f4Fill(g, slab, first + i * g.C * g.H * g.W, 0, slab.rows);
    }
    const Slab slab(sg, 0, rows, buffer);
    float* V = scratch(static_cast<size_t>(f4PanelFloats<T>(g)), kPanelSlot);
    int64_t at[NV][kF4Pieces] = {};
    F4Out out[NV][kF4Pieces];
    uint32_t bits[NV][kF4Pieces] = {};
    F4Group grp[NV][4];
    for (int v = 0; v < NV; v++)
      for (int r = 0; r < R; r++) {
        const int64_t image = v * perVector + r / TH, ty = r % TH, lane0 = r * TW;
        const bool live = image < images;
        at[v][r] = live ? image * slabFloats + 4 * ty * slab.Wq - lane0 : 0;
        bits[v][r] = live ? laneBits(lane0, lane0 + TW) : 0u;
        out[v][r] = live ? f4Out(g, image * g.O * g.P, ty, 0, 4 * TW) : F4Out{};
        // R == 4: each group one tile row of one image, both ends of the row; dead past the last image.
        if (R == 4) {
          F4Group& q = grp[v][r];
          q.row = live ? 4 * ty - 1 : g.H;
          q.at = live ? image * g.C * g.H * g.W + q.row * g.W : 0;
          q.left = q.right = true;
        }
      }
    const int used = static_cast<int>(std::min<int64_t>(NV, (images + perVector - 1) / perVector));
    f4Pass<T, R>(g, slab, u, at, bits, out, used, bias, residual ? residual + n0 * g.O * g.P : nullptr, relu, y + n0 * g.O * g.P, V, first,
                 direct ? grp : nullptr, perPass * g.C * g.H * g.W);
    if (f4Streams(g, y)) S::streamFence();
  });
}

template <class T>
void f4ByRows(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y, ThreadPool& pool) {
  const FilterCache::Packed u = w.packed(layoutKey({8, g.O, g.C, T::MR, f4RowTiles<T::MR>(g).narrow}), static_cast<size_t>(f4FilterFloats<T::MR>(g)),
                                         [&](const float* raw, float* out) { f4Filter<T::MR>(g, raw, pool, out); });
  switch (f4Rows(f4TilesW(g))) {
    case 1:
      if (f4SharedFits<T, 1>(g)) {
        f4RunShared<T, 1>(g, x, u->data(), bias, residual, relu, y, pool);
      } else {
        f4Run<T, 1>(g, x, u->data(), bias, residual, relu, y, pool);
      }
      break;
    case 2:
      if (f4SharedFits<T, 2>(g)) {
        f4RunShared<T, 2>(g, x, u->data(), bias, residual, relu, y, pool);
      } else {
        f4Run<T, 2>(g, x, u->data(), bias, residual, relu, y, pool);
      }
      break;
    case 4: f4RunImages<T, 4>(g, x, u->data(), bias, residual, relu, y, pool); break;
    default:
      if constexpr (S::N == 16) f4RunImages<T, 8>(g, x, u->data(), bias, residual, relu, y, pool);
      break;
  }
}

/**
 * F(4x4, 3x3) forward (winogradF4Fits): the 4 x 3 GEMM tile of 8 lanes where it pads less than kWinoMR x 2, as in
 * winoWideTile. 16 lanes take one-vector passes (winoSingleTile's tiles and rule: 24 channel rows, or 16 where 24
 * would need over a ninth more rows, as for 16, 32 and 64 channels), which measured as fast as kWinoMR x 2 or
 * faster on each layer: Zen 5, isa-check --bench-only, const column, 1 thread, CPU time, 4 interleaved rounds at
 * load 16-23, medians, GFLOP/s kWinoMR x 2 / 24 x 1 / 16 x 1: 64x16x32x32 -> 16 195 / 211 / 261, 64x32x16x16 -> 32
 * 277 / 245 / 296, 64x64x8x8 -> 64 303 / 295 / 306, 64x96x32x32 -> 96 531 / 558 / 558, 64x192x16x16 -> 192
 * 587 / 585 / 563 (one-vector passes' V and M are half the size).
 */
void winogradF4Forward(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                       ThreadPool& pool) {
  if constexpr (S::N == 8 && kWinoMR == 6) {
    const int64_t TH = f4TilesH(g), TW = f4TilesW(g);
    const int R = f4Rows(TW);
    const int64_t vectors = R == 1 ? TH * ((TW + S::N - 1) / S::N) : R == 2 ? (TH + 1) / 2 : (g.N * TH * TW + S::N - 1) / S::N;
    if (winoWidePads(vectors, g.O)) {
      f4ByRows<WinoTile<4, 3>>(g, x, w, bias, residual, relu, y, pool);
      return;
    }
  }
  if constexpr (S::N == 16) {
    if ((g.O + 23) / 24 * 24 * 9 <= (g.O + 15) / 16 * 16 * 10) {
      f4ByRows<WinoTile<24, 1>>(g, x, w, bias, residual, relu, y, pool);
    } else {
      f4ByRows<WinoTile<16, 1>>(g, x, w, bias, residual, relu, y, pool);
    }
    return;
  }
  f4ByRows<WinoTile<kWinoMR, 2>>(g, x, w, bias, residual, relu, y, pool);
}
