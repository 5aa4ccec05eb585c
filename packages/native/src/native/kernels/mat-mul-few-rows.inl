// MatMul with few rows of A (dense layers at batch 1-8) and B's columns contiguous in k (transposeB: the layer's
// weight rows), as dot products of B's columns with A's rows: the weights are read once, in place, four rows at a
// time against up to three of A's rows (fewDots, isa/dots.inl). The GEMM (gemm.cc) packs B into panels for this
// layout first (a strided gather of all the weights, every call) and computes its 6- or 16-row tiles for 1-8 rows.

/**
 * C = A B (+ C when accumulating) + biases + residual, relu, with gemmFewRowsFits(g); the pool (or null) splits B's
 * columns in tasks of at least 64 KiB of weights.
 */
void gemmFewRows(const Gemm& g, ThreadPool* pool) {
  const int64_t M = g.M, N = g.N, K = g.K;
  // A's rows contiguous in k: in place, else gathered (M x K floats).
  const float* a = g.A;
  int64_t lda = g.rsA;
  if (g.csA != 1) {
    float* rows = scratch(static_cast<size_t>(M * K), kSlabSlot);
    for (int64_t i = 0; i < M; i++)
      for (int64_t k = 0; k < K; k++) rows[i * K + k] = g.A[i * g.rsA + k * g.csA];
    a = rows;
    lda = K;
  }
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
        if (q == 3) {
          fewDots<kFewRows, 3>(r, c, K, dots);
        } else if (q == 2) {
          fewDots<kFewRows, 2>(r, c, K, dots);
        } else {
          fewDots<kFewRows, 1>(r, c, K, dots);
        }
        for (int qi = 0; qi < q; qi++) {
          const int64_t i = i0 + qi;
          float* row = g.C + i * g.ldc;
          const float br = g.biasRow ? g.biasRow[i] : 0.f;
          const float* res = g.residual ? g.residual + i * g.ldc : nullptr;
          for (int jj = 0; jj < live; jj++) {
            const int64_t j = j0 + jj;
            float v = g.accumulate ? row[j] + dots[jj][qi] : dots[jj][qi];
            v = v + br + (g.biasCol ? g.biasCol[j] : 0.f) + (res ? res[j] : 0.f);
            // max(0, v) keeps NaN, as gemm's epilogue.
            row[j] = g.relu && v < 0.f ? 0.f : v;
          }
        }
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
