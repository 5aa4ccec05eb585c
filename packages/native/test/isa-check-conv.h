// The convolution cases of isa-check: geometries that reach each algorithm and edge, their double-precision
// references, and the check of every convolution kernel of a KernelSet against them.

#pragma once

#include "isa-check-common.h"

namespace sn {
namespace check {

struct ConvShape {
  std::string why;
  int64_t N, C, H, W, O, KH, KW;
  int64_t SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PB = 0, PL = 0, PR = 0, G = 1;

  ConvShape& stride(int64_t h, int64_t w) {
    SH = h;
    SW = w;
    return *this;
  }
  ConvShape& stride(int64_t s) { return stride(s, s); }
  ConvShape& dilation(int64_t d) {
    DH = DW = d;
    return *this;
  }
  ConvShape& pad(int64_t t, int64_t b, int64_t l, int64_t r) {
    PT = t;
    PB = b;
    PL = l;
    PR = r;
    return *this;
  }
  ConvShape& pad(int64_t p) { return pad(p, p, p, p); }
  ConvShape& groups(int64_t g) {
    G = g;
    return *this;
  }
};

ConvShape conv(const std::string& why, int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t K);

/** The geometry as the addon derives it from a core plan (readConvPlan), output size by the window arithmetic. */
ConvGeom geometry(const ConvShape& s);

std::string describe(const ConvGeom& g);

/** Multiply-adds of one forward pass (the input and filter gradients do as many). */
double macs(const ConvGeom& g);

/** The filter as the addon passes it without a cache: the kernels pack it on every call. */
FilterRef uncached(const float* w);

struct ConvReference {
  /** yBiasResRelu: max(0, conv + bias + residual) with dy as the residual (it has the output's shape). */
  std::vector<double> y, yBiasRelu, yBiasResRelu, dx, dw;
};

struct ConvCase {
  std::string why;
  ConvGeom g;
  /** negW = -w: a second version of the filter whose results are the negated references. */
  std::unique_ptr<EdgeBuffer> x, w, negW, bias, dy;
  ConvReference ref;
};

/** Every case, with its inputs (ending at an inaccessible page) and references. */
std::vector<ConvCase> convCases();

/** The forward, input-gradient and filter-gradient kernels of ks on one case, on every pool, uncached and through a filter cache. */
CaseResult checkConv(const KernelSet& ks, const ConvCase& c, Pools& pools);

}  // namespace check
}  // namespace sn
