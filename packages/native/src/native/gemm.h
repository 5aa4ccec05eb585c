// Blocked SGEMM with packed panels (BLIS-style), AVX2/FMA micro-kernel chosen at run time.
#pragma once

#include <cstdint>

#include "runtime.h"

namespace sn {

/**
 * C(i, j) [+]= sum_k A(i, k) B(k, j), then optional bias and relu.
 * A(i, k) = A[i * rsA + k * csA], B(k, j) = B[k * rsB + j * csB], C(i, j) = C[i * ldc + j].
 */
struct Gemm {
  int64_t M = 0, N = 0, K = 0;
  const float* A = nullptr;
  int64_t rsA = 0, csA = 0;
  const float* B = nullptr;
  int64_t rsB = 0, csB = 0;
  float* C = nullptr;
  int64_t ldc = 0;
  /** Add to C instead of overwriting it. */
  bool accumulate = false;
  /** Length M, added to every row i (conv output channels). */
  const float* biasRow = nullptr;
  /** Length N, added to every column j (dense layers). */
  const float* biasCol = nullptr;
  bool relu = false;
};

/** Runs on the pool when given one, else on the calling thread only. */
void gemm(const Gemm& g, ThreadPool* pool);

/** True when the AVX2/FMA micro-kernel is in use. */
bool gemmUsesAvx2();

}  // namespace sn
