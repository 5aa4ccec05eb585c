// Outputs in the lanes against a weight block packed once: the tile of the convolutions with few output positions
// and a constant filter (conv/few-positions.inl: one live tap's [input channel][output channel] block against the
// positions it reads) and of dense layers at batch 2-8 with constant weights (kernels/mat-mul-few-rows.inl: the
// weights' [k][output] block against the batch's rows). Each input value is broadcast against 2 vectors of outputs,
// so the packed block streams once, contiguous, prefetched ahead of its reads.

/** Vectors of output channels an output-channel tile holds (kOcVectors x S::N channels). */
constexpr int kOcVectors = 2;
/**
 * How far ahead of its reads ocLanes prefetches the packed filter, which streams from L3 in a model pass (the layers
 * before have pushed it out of L2). ResNet-18 on 32x32 at batch 1, compiled, avx2, 1 thread pinned, model-profile,
 * 3 interleaved rounds, ms in kernels: none 1.6-1.8, 1 KiB ahead 1.5-1.9, 4 KiB 1.4-1.5, 8 KiB 1.4-1.5, 16 KiB
 * 1.4-1.5; of that its three 256-channel 2x2 layers, in the same order: 0.38-0.41, 0.36-0.44, 0.29-0.34, 0.30-0.33,
 * 0.30-0.33.
 */
constexpr int64_t kOcPrefetchBytes = 4096;

/** One input channel of ocLanes into one set of accumulators; advances `wt` and the position pointers `x`. */
template <int Q>
SN_INLINE void ocStep(const float*& wt, const float* (&x)[Q], int64_t cStride, S::V (&a)[Q][kOcVectors]) {
  constexpr int V = kOcVectors;
  constexpr int64_t OB = V * S::N;
#pragma GCC unroll 2
  for (int64_t b = 0; b < OB * 4; b += 64) __builtin_prefetch(reinterpret_cast<const char*>(wt) + kOcPrefetchBytes + b);
  S::V wv[V];
#pragma GCC unroll 2
  for (int v = 0; v < V; v++) wv[v] = S::load(wt + v * S::N);
  wt += OB;
#pragma GCC unroll 4
  for (int q = 0; q < Q; q++) {
    const S::V b = S::set1(*x[q]);
    x[q] += cStride;
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) a[q][v] = S::fma(b, wv[v], a[q][v]);
  }
}

/**
 * Output channels in the lanes: one live tap of an output-channel tile (kOcVectors x S::N channels) against Q positions
 * (1-4): for each input channel c the tap's weight vectors (`wt`: C rows of kOcVectors x S::N floats) against each
 * position's input value at c (`xs[q] + c * cStride`) broadcast. `acc`: Q rows of the tile's partial sums over the
 * taps, loaded and stored. A dense layer's tile is the same with one tap: c runs over k, the positions are the
 * batch's rows (cStride 1). One position leaves two chains of multiply-adds, each waiting on its last (4 cycles):
 * there 4 sets of accumulators take turns over c, summed at the end (isa-check const, avx2, 1 thread, 4 interleaved
 * rounds: 1x512x1x1 * 512x512x3x3 pad 1, whose one live tap meets one position, 175-193 -> 351-380 GFLOP/s of the
 * direct count; 2 sets for 2-3 positions measured equal, 1x256x2x2 * 256x256x3x3 55-76 against 55-75). Two positions take
 * 2 sets: a dense layer's second pass of 2 rows runs from L1, where its 4 chains waited on their latency (bench/dense-
 * shapes.ts, avx2, 1 thread, 3 interleaved rounds: 2x1000x512 57-60 -> 48-54 us, 6x1000x512 (4 + 2 rows) 115-118 ->
 * 98-103; the convolutions even: isa-check const, 3 rounds, 1x256x2x2 * 256x256x3x3 62-75 against 64-70 GFLOP/s,
 * 2x256x2x2 119-129 against 125-128).
 */
template <int Q>
SN_INLINE void ocLanes(const float* wt, const float* const* xs, int64_t cStride, int64_t C, float* const* acc) {
  constexpr int V = kOcVectors;
  constexpr int U = Q == 1 ? 4 : Q == 2 ? 2 : 1;
  S::V a[U][Q][V];
#pragma GCC unroll 4
  for (int q = 0; q < Q; q++)
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) {
      a[0][q][v] = S::load(acc[q] + v * S::N);
#pragma GCC unroll 4
      for (int u = 1; u < U; u++) a[u][q][v] = S::zero();
    }
  const float* x[Q];
#pragma GCC unroll 4
  for (int q = 0; q < Q; q++) x[q] = xs[q];
  int64_t c = 0;
  for (; c + U <= C; c += U) {
#pragma GCC unroll 4
    for (int u = 0; u < U; u++) ocStep<Q>(wt, x, cStride, a[u]);
  }
  for (; c < C; c++) ocStep<Q>(wt, x, cStride, a[0]);
#pragma GCC unroll 4
  for (int q = 0; q < Q; q++)
#pragma GCC unroll 2
    for (int v = 0; v < V; v++) {
#pragma GCC unroll 4
      for (int u = 1; u < U; u++) a[0][q][v] = S::add(a[0][q][v], a[u][q][v]);
      S::store(acc[q] + v * S::N, a[0][q][v]);
    }
}

/** ocLanes of q positions, 1 to 4 (the last pass of a run of positions in fours). */
SN_INLINE void ocLanesUpTo4(int q, const float* wt, const float* const* xs, int64_t cStride, int64_t C, float* const* acc) {
  switch (q) {
    case 4:
      ocLanes<4>(wt, xs, cStride, C, acc);
      break;
    case 3:
      ocLanes<3>(wt, xs, cStride, C, acc);
      break;
    case 2:
      ocLanes<2>(wt, xs, cStride, C, acc);
      break;
    default:
      ocLanes<1>(wt, xs, cStride, C, acc);
  }
}
