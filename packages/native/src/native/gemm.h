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
 * as dot products (KernelSet::gemmFewRows, kernels/mat-mul-few-rows.inl) instead of gemm, which packs B of this layout
 * by a strided gather of all the weights every call and computes its 6- or 16-row tiles for these few rows. Emerald
 * Rapids, bench/dense-shapes.ts (MatMul + bias, 1 thread pinned, best of 25 runs of 20 calls, 3 rounds interleaved with
 * main at 013f7ba, load 5-6), M x N x K in us, avx2 / avx512: 1x1000x512 96-118 -> 32-35 / 96-108 -> 28-39,
 * 2x1000x512 101-122 -> 46-50 / 101-105 -> 41-50, 4x1000x512 105-127 -> 70-77 / 106-111 -> 67-77, 8x1000x512
 * 164-195 -> 114-125 / 135-143 -> 103-116, 8x1000x1024 364-458 -> 226-245 / 287-307 -> 207-212; LeNet-5's 2x120x400
 * 11-13 -> 5.2-5.7 (its 2x84x120 and 2x10x84, 2-4 us, are mostly the call's own cost). The GEMM's 12 rows (170-198 /
 * 143-147 at 12x1000x512) are about what the dot tiles would take there (1.5 times their 8 rows), hence 8; products of
 * more rows are unchanged (256x120x400, 128x1000x1024 within the noise). In compiled ResNet-18 at 32x32 batch 1
 * (model-profile, avx2, 1 thread, CPU time, 3 rounds) the 512 -> 1000 classifier, its weights from L3, 0.133-0.135 ->
 * 0.066-0.070 ms; fetching the next tile's weight rows ahead in the loop (1-4 tiles, into L1 or L2) ran 0.070-0.079.
 */
constexpr int64_t kGemmFewRows = 8;

/**
 * Rows of A up to which MatMul runs products whose B rows are contiguous along N (plain A x B: the dense layer's input
 * gradient dy W) by broadcasting A's values against B's vectors (KernelSet::gemmFewRows), instead of gemm's 6- or
 * 16-row tiles on B in place. Emerald Rapids, bench/dense-shapes.ts --plain (1 thread pinned, avx2, 2 rounds interleaved
 * with main at 013f7ba, load ~7), M x N x K in us: 1x1000x512 74-77 -> 33-34, 2x1000x512 79-81 -> 56, 2x120x400 10.0 ->
 * 5.1-5.2; but 4x1000x512 84-86 -> 106 and 8x1000x512 143-144 -> 194-196 (its 2-row tile reads B's block from L2 once
 * per 2 rows), hence 2.
 */
constexpr int64_t kGemmFewRowsPlain = 2;

/**
 * Whether KernelSet::gemmFewRows takes g: at most kGemmFewRows rows, B read in place with its columns contiguous in k
 * (dot products) or, at most kGemmFewRowsPlain rows, its rows contiguous along N (A's values broadcast against them).
 */
inline bool gemmFewRowsFits(const Gemm& g) {
  if (g.M < 1 || g.N < 1 || g.K < 1 || g.packB != nullptr) return false;
  return g.rsB == 1 ? g.M <= kGemmFewRows : g.csB == 1 && g.M <= kGemmFewRowsPlain;
}

/** Runs on the pool when given one, else on the calling thread only. */
void gemm(const Gemm& g, ThreadPool* pool);


}  // namespace sn
