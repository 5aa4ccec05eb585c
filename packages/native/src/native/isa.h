// Instruction-set paths of the native backend and the kernels each one provides.
//
// The direct convolutions (forward, input and filter gradients, Winograd, depthwise), the vector
// pooling kernels and the batch-norm loops are written once (src/native/conv/, src/native/pool/,
// src/native/kernels/batch-norm.inl) over the vector layer in src/native/simd/, and compiled once per ISA
// by src/native/isa/<isa>.cc. A backend instance picks one path when it is created ('auto' takes the best
// the CPU runs); every path runs the conformance suite.
#pragma once

#include <string>

#include "conv-common.h"
#include "pool-common.h"

namespace sn {

struct Gemm;

/** 'portable', 'neon', 'avx2' or 'avx512'. */
const char* isaName(Isa isa);

/** True when this build has the path and the CPU runs it. */
bool isaSupported(Isa isa);

/** The fastest supported path. */
Isa bestIsa();

/** Comma-separated names of the supported paths, fastest first (for error messages and info()). */
std::string supportedIsas();

/** One batch-norm channel's share of a tensor: `rows` runs of `len` floats, `stride` floats apart. */
struct BnRows {
  int64_t rows, len, stride;
};

/** BatchNormTrain's per-channel y = (x - mean) * scale + beta. */
struct BnAffine {
  double mean, scale, beta;
};

/** BatchNormGrad's per-channel dx = a * dy + b * (x - mean) + c. */
struct BnGradCoef {
  double a, b, mean, c;
};

/** The kernels of one ISA path. */
struct KernelSet {
  Isa isa;
  /** Whether the direct kernels take this geometry (else the caller uses the GEMM path). */
  bool (*forwardFits)(const ConvGeom& g);
  bool (*backpropInputFits)(const ConvGeom& g);
  bool (*backpropFilterFits)(const ConvGeom& g);
  /** y = conv(x, w) [+ bias] [+ residual] [relu] for the whole batch; residual (or null) has y's layout. */
  void (*forward)(const ConvGeom& g, const float* x, const FilterRef& w, const float* bias, const float* residual, bool relu, float* y,
                  ThreadPool& pool);
  /** dx for the whole batch (any stride). */
  void (*backpropInput)(const ConvGeom& g, const float* dy, const FilterRef& w, float* dx, ThreadPool& pool);
  /** dw = sum over the batch of dy (x) x, overwriting dw. */
  void (*backpropFilter)(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool);
  /** One plane of max pooling (any window, stride and padding). */
  void (*maxPoolPlane)(const PoolGeom& g, const float* x, float* y);
  /** One plane of average pooling (any geometry); inv holds 1 / divisor per output cell. */
  void (*avgPoolPlane)(const PoolGeom& g, const float* x, const float* inv, float* y);
  /** One plane's max-pool gradient, every cell of dx written (the first maximum of each window, or its last NaN: PyTorch); see poolGradVectorFits. */
  void (*maxPoolGradPlane)(const PoolGeom& g, const float* dy, const float* x, float* dx);
  /** One plane's average-pool gradient (dy * inv spread over each window), every cell of dx written; any geometry. */
  void (*avgPoolGradPlane)(const PoolGeom& g, const float* dy, const float* inv, float* dx);
  // Batch norm over one channel's rows (kernels/batch-norm.inl), all arithmetic in double.
  /** s[0] = sum (x - shift), s[1] = sum (x - shift)^2. */
  void (*bnMoments)(const BnRows& r, const float* x, double shift, double* s);
  /** y = act((x - mean) * scale + beta + residual); residual (or null) has x's layout; relu keeps NaN. */
  void (*bnNormalize)(const BnRows& r, const float* x, const float* residual, bool relu, const BnAffine& k, float* y);
  /** s[0] = sum g, s[1] = sum g * (x - mean); g = dy, or dy where y > 0 when y (a fused relu's output) is given. */
  void (*bnGradSums)(const BnRows& r, const float* dy, const float* x, const float* y, double mean, double* s);
  /** dx = a * g + b * (x - mean) + c, g as in bnGradSums. */
  void (*bnGradApply)(const BnRows& r, const float* dy, const float* x, const float* y, const BnGradCoef& k, float* dx);
  /** Whether forward runs this geometry by Winograd (constantFilter: the filter is marked constant or records no gradient). */
  bool (*winogradFits)(const ConvGeom& g, bool constantFilter);
  /** Whether forward runs this geometry by Winograd F(4x4, 3x3) (constant filters only; conv/winograd-f4.inl). */
  bool (*winogradF4Fits)(const ConvGeom& g, bool constantFilter);
  /** One plane of max pooling with each window's selected tap kh * WW + kw as float (MaxPool2DArgmax); any geometry. */
  void (*maxPoolArgmaxPlane)(const PoolGeom& g, const float* x, float* y, float* taps);
  /** One plane's max-pool gradient from those taps, every cell of dx written, the same bits as maxPoolGradPlane; see poolGradVectorFits. */
  void (*maxPoolGradArgmaxPlane)(const PoolGeom& g, const float* dy, const float* taps, float* dx);
  /**
   * sn::gemm for products with gemmFewRowsFits(g) (gemm.h), as dot products of B's columns with A's rows, or with
   * constantB (B's buffer, constant) outputs in the lanes against B packed once; pool may be null.
   */
  void (*gemmFewRows)(const Gemm& g, const FilterRef* constantB, ThreadPool* pool);
};

/** The kernels of `isa`; the caller checks isaSupported first. */
const KernelSet& kernelSet(Isa isa);

/** The vector max-pool gradient takes strides 1 and 2 along the row (others run the scalar loop). */
inline bool poolGradVectorFits(const PoolGeom& g) { return g.SW == 1 || g.SW == 2; }

// Defined by src/native/isa/<isa>.cc; null where this build has no such path (e.g. AVX2 on arm64).
const KernelSet* portableKernels();
const KernelSet* neonKernels();
const KernelSet* avx2Kernels();
const KernelSet* avx512Kernels();

}  // namespace sn
