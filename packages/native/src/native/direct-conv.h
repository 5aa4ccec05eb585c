// Direct convolution kernels for CPUs with AVX-512: no im2col matrix and no packed B panels.
//
// Each image (or a band of its output rows) is copied once into a zero-padded buffer whose columns
// are split by stride phase, so that for every filter tap (c, kh, kw) the input values under 16
// consecutive output columns are 16 consecutive floats. The micro-kernels then load those vectors
// straight from the buffer at a per-tap offset:
// - forward (and the stride-1 input gradient, which is a forward convolution of dy with the flipped,
//   transposed filter): MR output channels x 2 vectors of 16 output positions, filter values
//   broadcast from a packed copy of the filter;
// - filter gradient: MR filter taps x 32 output channels, input values broadcast straight from the
//   padded buffer, dy packed once per image as 32-channel panels.
#pragma once

#include "conv-common.h"

namespace sn {

/** The direct kernels take this geometry (needs AVX-512; the caller falls back to the GEMM path otherwise). */
bool directForwardFits(const ConvGeom& g);
bool directBackpropInputFits(const ConvGeom& g);
bool directBackpropFilterFits(const ConvGeom& g);

/** y = conv(x, w) [+ bias] [relu] for the whole batch. */
void directForward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* y, ThreadPool& pool);

/** dx of a stride-1 convolution, for the whole batch. */
void directBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, ThreadPool& pool);

/** dw = sum over the batch of dy (x) x, overwriting dw. */
void directBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, ThreadPool& pool);

}  // namespace sn
