// Dot products of a few weight rows with a few columns, K long, both contiguous in k: the tile of the convolutions
// with few output positions (conv/few-positions.inl: filter rows by gathered input columns) and of dense layers at
// batch 1-8 (kernels/mat-mul-few-rows.inl: weight rows by the batch's input rows). Each output is one dot product,
// so the weights stream once, in place, with no packing.

/** Weight rows a dot tile holds (Q columns beside them: R x Q accumulators). */
constexpr int kFewRows = 4;

/**
 * Dot products of R weight rows with Q columns, K long; the tail of K through masked loads. out[r][q]. Per vector of
 * K: R row loads and R x Q multiply-adds (at most 12 accumulators), each column vector loaded where it is used (for
 * 4 columns the registers hold the accumulators and one row).
 */
template <int R, int Q>
SN_INLINE void fewDots(const float* const* rows, const float* const* cols, int64_t K, float (*out)[4]) {
  S::V acc[R][Q];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int q = 0; q < Q; q++) acc[r][q] = S::zero();
  int64_t k = 0;
  for (; k + S::N <= K; k += S::N) {
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const S::V w = S::load(rows[r] + k);
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) acc[r][q] = S::fma(w, S::load(cols[q] + k), acc[r][q]);
    }
  }
  if (k < K) {
    const auto m = S::mask((uint32_t{1} << (K - k)) - 1);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      const S::V w = S::maskLoad(m, rows[r] + k);
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) acc[r][q] = S::fma(w, S::maskLoad(m, cols[q] + k), acc[r][q]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int q = 0; q < Q; q++) out[r][q] = S::reduceAdd(acc[r][q]);
}


/** fewDots of kFewRows rows against q columns, 1 to 3 (the last pass of a run of columns in threes). */
SN_INLINE void fewDotsUpTo3(const float* const* rows, const float* const* cols, int q, int64_t K, float (*out)[4]) {
  if (q == 3) {
    fewDots<kFewRows, 3>(rows, cols, K, out);
  } else if (q == 2) {
    fewDots<kFewRows, 2>(rows, cols, K, out);
  } else {
    fewDots<kFewRows, 1>(rows, cols, K, out);
  }
}
