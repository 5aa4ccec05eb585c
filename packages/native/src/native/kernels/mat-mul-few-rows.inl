// MatMul with few rows of A (dense layers at batch 1-8; the rules in gemm.h, gemmFewRowsFits). Where B's columns are
// contiguous in k (transposeB: the layer's weight rows) as dot products of B's columns with A's rows: the weights are
// read once, in place, four rows at a time against up to three of A's rows (fewDots, isa/dots.inl); where they are
// constant (noGrad calls: inference), A has 2-8 rows and the product is not tiny, with the outputs in the lanes against
// the weights packed once (gemmFewRowsLanes). The GEMM (gemm.cc)
// packs B into panels for this layout first (a strided gather of all the weights, every call) and computes its 6- or
// 16-row tiles for 1-8 rows. Where B's rows are contiguous along N (plain A x B: the layer's input gradient dy W, at
// 1-2 rows), A's values are broadcast against 4 of B's vectors a k-step, 2 rows of A at a time.

/** C(i, j) = v + biases + residual (+ C when accumulating), relu: v the sum over k. */
SN_INLINE void fewRowsStore(const Gemm& g, int64_t i, int64_t j, float v) {
  float* c = g.C + i * g.ldc + j;
  v = g.accumulate ? *c + v : v;
  v = v + (g.biasRow ? g.biasRow[i] : 0.f) + (g.biasCol ? g.biasCol[j] : 0.f) + (g.residual ? g.residual[i * g.ldc + j] : 0.f);
  // max(0, v) keeps NaN, as gemm's epilogue.
  *c = g.relu && v < 0.f ? 0.f : v;
}

/** Vectors of C's row a broadcast tile covers (kFewRowsBroadcast rows or 1 of A against them). */
constexpr int kBroadcastVectors = 4;

/**
 * Rows [i0, i0 + MR) of A times B's columns [j0, j0 + kBroadcastVectors * S::N), B's rows contiguous along N: each
 * of A's values broadcast against B's vectors of that k; the vectors past N masked off by m unless kFull. out: MR rows
 * of kBroadcastVectors vectors.
 */
template <int MR, bool kFull>
SN_INLINE void broadcastTile(const Gemm& g, int64_t i0, int64_t j0, const S::M* m, float* out) {
  constexpr int NV = kBroadcastVectors;
  S::V acc[MR][NV];
#pragma GCC unroll 2
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = S::zero();
  const float* b = g.B + j0;
  const float* a = g.A + i0 * g.rsA;
  for (int64_t k = 0; k < g.K; k++, b += g.rsB, a += g.csA) {
    S::V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = kFull ? S::load(b + v * S::N) : S::maskLoad(m[v], b + v * S::N);
#pragma GCC unroll 2
    for (int r = 0; r < MR; r++) {
      const S::V av = S::set1(a[r * g.rsA]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = S::fma(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 2
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) S::store(out + (r * NV + v) * S::N, acc[r][v]);
}

/** gemmFewRows where B's rows are contiguous along N (plain A x B: the dense layer's input gradient dy W). */
void gemmFewRowsBroadcast(const Gemm& g, ThreadPool* pool) {
  constexpr int64_t W = kBroadcastVectors * S::N;
  const int64_t blocks = (g.N + W - 1) / W;
  const auto body = [&](int64_t b0, int64_t b1) {
    alignas(64) float out[2 * W];
    for (int64_t blk = b0; blk < b1; blk++) {
      const int64_t j0 = blk * W, live = std::min(W, g.N - j0);
      S::M m[kBroadcastVectors];
      for (int v = 0; v < kBroadcastVectors; v++) {
        const int64_t lanes = std::clamp<int64_t>(live - v * S::N, 0, S::N);
        m[v] = S::mask(lanes >= 32 ? ~uint32_t{0} : (uint32_t{1} << lanes) - 1);
      }
      // Two rows of A a pass (8 accumulators on 4 vectors), the last one alone when M is odd.
      for (int64_t i0 = 0; i0 < g.M; i0 += 2) {
        const int mr = static_cast<int>(std::min<int64_t>(2, g.M - i0));
        if (live == W) {
          if (mr == 2) broadcastTile<2, true>(g, i0, j0, m, out); else broadcastTile<1, true>(g, i0, j0, m, out);
        } else {
          if (mr == 2) broadcastTile<2, false>(g, i0, j0, m, out); else broadcastTile<1, false>(g, i0, j0, m, out);
        }
        for (int r = 0; r < mr; r++)
          for (int64_t jj = 0; jj < live; jj++) fewRowsStore(g, i0 + r, j0 + jj, out[r * W + jj]);
      }
    }
  };
  // A block reads K x W floats of B: tasks of at least 64 KiB of it.
  const int64_t grain = std::max<int64_t>(1, (int64_t{16} << 10) / (W * g.K));
  if (pool && pool->size() > 1 && blocks > grain) {
    pool->parallelFor(blocks, grain, body);
  } else {
    body(0, blocks);
  }
}

/**
 * A's rows contiguous in k, `*lda` floats apart: A itself, else gathered from its columns into this thread's scratch
 * (M x K floats).
 */
SN_INLINE const float* rowsOfA(const Gemm& g, int64_t* lda) {
  *lda = g.rsA;
  if (g.csA == 1) return g.A;
  float* rows = scratch(static_cast<size_t>(g.M * g.K), kSlabSlot);
  for (int64_t i = 0; i < g.M; i++)
    for (int64_t k = 0; k < g.K; k++) rows[i * g.K + k] = g.A[i * g.rsA + k * g.csA];
  *lda = g.K;
  return rows;
}

/**
 * Most bytes of weights the lanes route packs (a second copy, cached): larger layers (AlexNet's and VGG's first
 * classifier layers, 151-411 MB) stream from memory at the same speed either way.
 */
constexpr int64_t kFewRowsLanesMaxBytes = int64_t{16} << 20;

/**
 * Fewest multiply-adds (M x N x K) the lanes route takes: below, its cache lookup outweighs what it saves. avx2, 1
 * thread, bench/dense-shapes.ts --nograd both, 3 rounds: LeNet-5's 2x120x400 (96 K) 6.6-7.4 us against 7.4-8.4 for the
 * dot tiles; 4x256x256 (262 K) 13.4-14.7 -> 10.4-10.6, 4x256x1024 38.7-39.7 -> 31.5-33.5.
 */
constexpr int64_t kFewRowsLanesMinWork = int64_t{1} << 18;

/**
 * gemmFewRows where B's columns are contiguous in k and B is constant (the weights of a dense layer that records no
 * gradient): outputs in the lanes, B packed once as [tile][k][OB] (OB = kOcVectors x S::N outputs), each tile's
 * block streamed once, contiguous and prefetched, against up to 4 of A's rows at a time (ocLanes, isa/lanes.inl).
 * Emerald Rapids, bench/dense-shapes.ts --nograd both (the dot tiles and this in interleaved rounds), avx2, 1 thread
 * pinned, best us of 3 rounds: 2x1000x512 66-74 -> 48-54, 4x1000x512 97-108 -> 68-70, 8x1000x512 148-186 -> 118-147,
 * 8x1000x1024 345-349 -> 287-292. One row ran even (47-51 against 48-51, and in compiled ResNet-18 at 32x32 batch 1
 * 0.09-0.11 ms both), so it keeps the dot tiles, which need no second copy of the weights.
 */
void gemmFewRowsLanes(const Gemm& g, const FilterRef& w, ThreadPool* pool) {
  constexpr int64_t OB = kOcVectors * S::N;
  const int64_t M = g.M, N = g.N, K = g.K, ldb = g.csB, tiles = (N + OB - 1) / OB;
  const FilterCache::Packed packed = w.packed(layoutKey({23, N, K, ldb, OB}), static_cast<size_t>(tiles * K * OB), [&](const float* b, float* out) {
    for (int64_t j = 0; j < N; j++)
      for (int64_t k = 0; k < K; k++) out[((j / OB) * K + k) * OB + j % OB] = b[j * ldb + k];
  });
  int64_t lda;
  const float* a = rowsOfA(g, &lda);
  const auto body = [&](int64_t t0, int64_t t1) {
    float* acc = scratch(static_cast<size_t>(M * OB), kPanelSlot);
    for (int64_t t = t0; t < t1; t++) {
      std::fill(acc, acc + M * OB, 0.f);
      const float* wt = packed->data() + t * K * OB;
      // Up to 4 rows a pass: 6 rows in one (12 accumulators) ran 6x1000x512 at 215-225 us against 115 for the dot
      // tiles (avx2, 1 thread, bench/dense-shapes.ts).
      for (int64_t i0 = 0; i0 < M; i0 += 4) {
        const int q = static_cast<int>(std::min<int64_t>(4, M - i0));
        const float* xs[4];
        float* rowsOut[4];
        for (int qi = 0; qi < q; qi++) {
          xs[qi] = a + (i0 + qi) * lda;
          rowsOut[qi] = acc + (i0 + qi) * OB;
        }
        ocLanesUpTo4(q, wt, xs, 1, K, rowsOut);
      }
      const int64_t j0 = t * OB, live = std::min(OB, N - j0);
      for (int64_t i = 0; i < M; i++)
        for (int64_t l = 0; l < live; l++) fewRowsStore(g, i, j0 + l, acc[i * OB + l]);
    }
  };
  // A tile reads K x OB floats of the packed weights: tasks of at least 64 KiB of them.
  const int64_t grain = std::max<int64_t>(1, (int64_t{16} << 10) / (OB * K));
  if (pool && pool->size() > 1 && tiles > grain) {
    pool->parallelFor(tiles, grain, body);
  } else {
    body(0, tiles);
  }
}

/**
 * C = A B (+ C when accumulating) + biases + residual, relu, with gemmFewRowsFits(g); the pool (or null) splits B's
 * columns in tasks of at least 64 KiB of weights. constantB: B's buffer where B is constant (a dense layer's weights
 * that record no gradient), else null.
 */
void gemmFewRows(const Gemm& g, const FilterRef* constantB, ThreadPool* pool) {
  if (g.rsB != 1) {
    gemmFewRowsBroadcast(g, pool);
    return;
  }
  if (constantB && g.M >= 2 && g.M * g.N * g.K >= kFewRowsLanesMinWork && g.N * g.K * static_cast<int64_t>(sizeof(float)) <= kFewRowsLanesMaxBytes) {
    gemmFewRowsLanes(g, *constantB, pool);
    return;
  }
  const int64_t M = g.M, N = g.N, K = g.K;
  int64_t lda;
  const float* a = rowsOfA(g, &lda);
  const int64_t ldb = g.csB;
  const int64_t tiles = (N + kFewRows - 1) / kFewRows;
  const auto body = [&](int64_t t0, int64_t t1) {
    float dots[kFewRows][4];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t j0 = t * kFewRows;
      const int live = static_cast<int>(std::min<int64_t>(kFewRows, N - j0));
      const float* r[kFewRows];
      // Columns past N repeat the last one (computed, not stored).
      for (int i = 0; i < kFewRows; i++) r[i] = g.B + (j0 + std::min(i, live - 1)) * ldb;
      for (int64_t i0 = 0; i0 < M; i0 += 3) {
        const int q = static_cast<int>(std::min<int64_t>(3, M - i0));
        const float* c[3] = {a + i0 * lda, a + std::min(i0 + 1, M - 1) * lda, a + std::min(i0 + 2, M - 1) * lda};
        fewDotsUpTo3(r, c, q, K, dots);
        for (int qi = 0; qi < q; qi++)
          for (int jj = 0; jj < live; jj++) fewRowsStore(g, i0 + qi, j0 + jj, dots[jj][qi]);
      }
    }
  };
  // A tile reads kFewRows x K floats of B: tasks of at least 64 KiB of it.
  const int64_t grain = std::max<int64_t>(1, (int64_t{16} << 10) / (kFewRows * K));
  if (pool && pool->size() > 1 && tiles > grain) {
    pool->parallelFor(tiles, grain, body);
  } else {
    body(0, tiles);
  }
}
