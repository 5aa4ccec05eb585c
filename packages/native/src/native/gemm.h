// Blocked SGEMM with packed panels (BLIS-style); the micro-kernel follows the runtime's ISA path.
#pragma once

#include <cstdint>

#include "runtime.h"

namespace sn {

/**
 * C(i, j) [+]= sum_k A(i, k) B(k, j), then optional bias, residual and relu.
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
  /** Optional, C's layout: R(i, j) = residual[i * ldc + j] added after the biases, before relu. */
  const float* residual = nullptr;
  bool relu = false;
  /**
   * The runtime's ISA path: the AVX2/FMA 6x16 micro-kernel on the avx2 and avx512 paths, the AVX-512 16x16 one
   * instead on avx512 where the CPU runs 512-bit operations at full width (cpuAvx512FullWidth()) and M > 6,
   * else the portable one.
   */
  Isa isa = Isa::Portable;
  /**
   * Optional: writes the packed B panel for rows [k0, k0 + kc) and columns [j0, j0 + nr) itself
   * (k-major, 16 floats per row, zero past nr) instead of reading B. Convolutions use it to pack
   * straight from the image, never materialising the im2col matrix.
   */
  void (*packB)(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nr, float* out) = nullptr;
  const void* packCtx = nullptr;
};

/** Width of a packed B panel (the micro-kernel's NR). */
constexpr int64_t kPanelWidth = 16;

/**
 * Rows of A up to which MatMul runs products whose B columns are contiguous in k (transposeB: dense layers' weights)
 * as dot products, KernelSet::gemmFewRows, instead of gemm. See kernels/mat-mul.cc.
 */
constexpr int64_t kGemmFewRows = 8;

/** Whether KernelSet::gemmFewRows takes g: at most kGemmFewRows rows, B's columns contiguous in k, B read in place. */
inline bool gemmFewRowsFits(const Gemm& g) {
  return g.M >= 1 && g.M <= kGemmFewRows && g.N >= 1 && g.K >= 1 && g.rsB == 1 && g.packB == nullptr;
}

/** Runs on the pool when given one, else on the calling thread only. */
void gemm(const Gemm& g, ThreadPool* pool);


}  // namespace sn
