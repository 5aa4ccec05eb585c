// ISA fragment (see README.md): Winograd F(2x2, 3x3) for a few images whose transformed filter U outgrows
// L2 (ResNet-18 at batch 2: 4 MiB at 256 channels, 16 MiB at 512). The per-image kernel (winogradRun)
// streams all of U once per vector pass and image, and at 7x7 an image is a single pass, so batch 2 made
// two tasks. Here the input transforms of every image come first (a task per image), then tasks take
// blocks of output channels: each GEMM tile of U serves every pass of every image (of the task's image
// group, see below) while it is in L1 (U streams once per call and group), and the blocks balance the
// threads whatever the batch.

/** Transformed filters past this many bytes take the shared path (L2 is 512 KiB to 2 MiB per core). */
constexpr int64_t kSharedFilterBytes = int64_t{2} << 20;
/** Most bytes of transformed inputs (all images, all passes) the shared path holds at once. */
constexpr int64_t kSharedInputBytes = int64_t{4} << 20;
/** Transformed filters up to this many bytes are streamed once per image group (winogradShared). */
constexpr int64_t kGroupFilterBytes = int64_t{8} << 20;
/** The caller's scratch slot for the transformed inputs, which every task reads. */
constexpr int kSharedSlot = 3;

/** Whether the shared path runs: U past L2 and the transformed inputs of all `passes` of every image within kSharedInputBytes. */
template <class T>
bool winoSharedFits(const ConvGeom& g, int64_t passes) {
  return winogradFilterFloats(g, T::MR) * 4 > kSharedFilterBytes && g.N * passes * 16 * g.C * T::kPanel * 4 <= kSharedInputBytes;
}

template <class T, int R>
void winogradShared(const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y,
                    ThreadPool& pool, const ConvGeom& sg, int64_t rows, int64_t TH, int64_t TW, int64_t vectors) {
  constexpr int MR = T::MR, NV = T::NV;
  const int64_t passes = (vectors + NV - 1) / NV, units = g.N * passes;
  // V[image][pass][xi][c][panel]
  const int64_t vFloats = 16 * g.C * T::kPanel;
  float* V = scratch(static_cast<size_t>(units * vFloats), kSharedSlot);
  pool.run(g.N, [&](int64_t n) {
    float* buffer = scratch(static_cast<size_t>(Slab::floats(sg, rows, g.C)), kSlabSlot);
    Slab slab(sg, 0, rows, buffer);
    slab.fill(sg, x + n * g.C * g.H * g.W, 0, g.C);
    for (int64_t p = 0; p < passes; p++) {
      TilePiece pc[NV][4];
      int64_t at[NV][4];
      uint32_t bits[NV][4];
      winoPieces<R, NV>(g, p * NV, vectors, TH, TW, slab.Wq, 0, pc, at, bits);
      winoInput<R, NV>(buffer, g.C, slab.phaseStride, slab.Wq, at, bits, V + (n * passes + p) * vFloats);
    }
  });
  // Blocks of about 6 channel tiles (M stays within L2), at least 4 per thread while there are tiles. With as
  // many images as threads, the images form one group per thread and each task takes one group's units: the
  // pool gives thread i the same images in both runs, so each thread reads only the transforms it wrote and
  // U, which nobody writes. Blocks spanning every image had each thread read the other's transforms, and the
  // next call's input transforms then waited for those lines to be taken back from the other core: on Zen 4
  // (2 threads, 2x256x14x14 -> 256, AVX2) an image's input transform took 0.67-0.81 ms instead of 0.13-0.15.
  // Each group streams all of U, so a U past kGroupFilterBytes keeps one group (ResNet-18's 2x512x7x7 -> 512,
  // 17 MiB on AVX2, ran 10-15% slower on 2 threads with two).
  const int64_t groups = g.N >= pool.size() && winogradFilterFloats(g, T::MR) * 4 <= kGroupFilterBytes ? pool.size() : 1;
  const WinoRows rt = winoRowTiles(MR, g.O, true);
  const int64_t oTiles = rt.tiles;
  const int64_t blocks = std::max<int64_t>((oTiles + 5) / 6, std::min<int64_t>(oTiles, 4 * pool.size() / groups));
  pool.run(groups * blocks, [&](int64_t t) {
    const int64_t grp = t / blocks, b = t % blocks;
    const int64_t u0 = g.N * grp / groups * passes, u1 = g.N * (grp + 1) / groups * passes;
    const int64_t ot0 = oTiles * b / blocks, ot1 = oTiles * (b + 1) / blocks;
    if (ot0 >= ot1) return;
    // M[unit - u0][xi][block channel][panel]
    const int64_t o0 = rt.base(ot0), o1 = std::min(g.O, rt.base(ot1)), xs = (rt.base(ot1) - o0) * T::kPanel;
    float* M = scratch(static_cast<size_t>((u1 - u0) * 16 * xs), kPanelSlot);
    for (int xi = 0; xi < 16; xi++)
      for (int64_t ot = ot0; ot < ot1; ot++) {
        for (int64_t i = u0; i < u1; i++)
          winoGemmTile<T>(rt, ot, g.C, u + xi * rt.rows * g.C, V + i * vFloats + xi * g.C * T::kPanel, M + ((i - u0) * 16 + xi) * xs - o0 * T::kPanel);
      }
    for (int64_t i = u0; i < u1; i++) {
      const int64_t n = i / passes, p = i % passes;
      TilePiece pc[NV][4];
      int64_t at[NV][4];
      uint32_t bits[NV][4];
      winoPieces<R, NV>(g, p * NV, vectors, TH, TW, 0, 0, pc, at, bits);
      const float* rn = residual ? residual + n * g.O * g.P : nullptr;
      float* yn = y + n * g.O * g.P;
      for (int64_t o = o0; o < o1; o++)
        winoOutput<NV>(M + (i - u0) * 16 * xs + (o - o0) * T::kPanel, xs, pc, R, bias ? bias[o] : 0.f, rn ? rn + o * g.P : nullptr, relu, yn + o * g.P,
                       g.OH, g.OW);
    }
  });
}

/** winogradShared for R pieces a vector. */
template <class T>
void winogradSharedRows(int R, const ConvGeom& g, const float* x, const float* u, const float* bias, const float* residual, bool relu, float* y,
                        ThreadPool& pool, const ConvGeom& sg, int64_t rows, int64_t TH, int64_t TW, int64_t vectors) {
  switch (R) {
    case 1: winogradShared<T, 1>(g, x, u, bias, residual, relu, y, pool, sg, rows, TH, TW, vectors); break;
    case 2: winogradShared<T, 2>(g, x, u, bias, residual, relu, y, pool, sg, rows, TH, TW, vectors); break;
    case 3: winogradShared<T, 3>(g, x, u, bias, residual, relu, y, pool, sg, rows, TH, TW, vectors); break;
    default: winogradShared<T, 4>(g, x, u, bias, residual, relu, y, pool, sg, rows, TH, TW, vectors); break;
  }
}
