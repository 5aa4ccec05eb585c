// BatchNormTrain / BatchNormGrad when each channel's plane is short (inner < kBnRowInner: [N, C] and
// small spatial maps). Channel blocks are too short for the block kernels, so the tensor is walked row
// by row ([outer] rows of channels x inner contiguous floats, a task owning a range of channels) with
// one double accumulator per column, folded into channels at the end: contiguous reads, no strides.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace sn {

constexpr int64_t kBnRowInner = 32;

struct BnRows {
  int64_t outer, C, inner;
  /** Offset of row o of the tensor, from channel c0. */
  int64_t at(int64_t o, int64_t c0) const { return (o * C + c0) * inner; }
  /** Per-channel totals of column sums (columns = channels x inner). */
  std::vector<double> fold(const std::vector<double>& col) const {
    std::vector<double> out(col.size() / inner, 0.0);
    for (size_t j = 0; j < col.size(); j++) out[j / inner] += col[j];
    return out;
  }
  /** A per-channel value over that channel's columns. */
  template <typename T>
  std::vector<T> spread(const std::vector<double>& v) const {
    std::vector<T> col(v.size() * inner);
    for (size_t j = 0; j < col.size(); j++) col[j] = static_cast<T>(v[j / inner]);
    return col;
  }
};

/** Channels [c0, c1): y, mean, biased variance (two passes in double, the second around the mean). */
inline void bnTrainRows(const BnRows& r, int64_t c0, int64_t c1, double eps, const float* x, const float* gamma, const float* beta,
                        float* y, float* mean, float* variance) {
  const int64_t nc = c1 - c0, w = nc * r.inner;
  const double count = static_cast<double>(r.outer * r.inner);
  std::vector<double> col(w, 0.0);
  for (int64_t o = 0; o < r.outer; o++) {
    const float* xr = x + r.at(o, c0);
    for (int64_t j = 0; j < w; j++) col[j] += xr[j];
  }
  std::vector<double> m = r.fold(col);
  for (double& v : m) v /= count;
  const std::vector<double> md = r.spread<double>(m);
  std::fill(col.begin(), col.end(), 0.0);
  for (int64_t o = 0; o < r.outer; o++) {
    const float* xr = x + r.at(o, c0);
    for (int64_t j = 0; j < w; j++) col[j] += (xr[j] - md[j]) * (xr[j] - md[j]);
  }
  const std::vector<double> v = r.fold(col);
  std::vector<double> scale(nc), shift(nc);
  for (int64_t c = 0; c < nc; c++) {
    mean[c0 + c] = static_cast<float>(m[c]);
    variance[c0 + c] = static_cast<float>(v[c] / count);
    scale[c] = gamma[c0 + c] / std::sqrt(v[c] / count + eps);
    shift[c] = beta[c0 + c];
  }
  const std::vector<float> mc = r.spread<float>(m), sc = r.spread<float>(scale), sh = r.spread<float>(shift);
  for (int64_t o = 0; o < r.outer; o++) {
    const float* xr = x + r.at(o, c0);
    float* yr = y + r.at(o, c0);
    for (int64_t j = 0; j < w; j++) yr[j] = (xr[j] - mc[j]) * sc[j] + sh[j];
  }
}

/** Channels [c0, c1): dx, dgamma, dbeta (sums in double; dx = k * (M * dy - dbeta - xhat * dgamma)). */
inline void bnGradRows(const BnRows& r, int64_t c0, int64_t c1, double eps, const float* dy, const float* x, const float* gamma,
                       const float* mean, const float* variance, float* dx, float* dgamma, float* dbeta) {
  const int64_t nc = c1 - c0, w = nc * r.inner;
  const double M = static_cast<double>(r.outer * r.inner);
  std::vector<double> m(mean + c0, mean + c1);
  const std::vector<double> md = r.spread<double>(m);
  std::vector<double> cdy(w, 0.0), cdyx(w, 0.0);
  for (int64_t o = 0; o < r.outer; o++) {
    const float* g = dy + r.at(o, c0);
    const float* xr = x + r.at(o, c0);
    for (int64_t j = 0; j < w; j++) {
      cdy[j] += g[j];
      cdyx[j] += g[j] * (xr[j] - md[j]);
    }
  }
  const std::vector<double> sdy = r.fold(cdy), sdxm = r.fold(cdyx);
  std::vector<double> a(nc), b(nc), c(nc);
  for (int64_t k = 0; k < nc; k++) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(variance[c0 + k]) + eps), sdyx = sdxm[k] * invstd;
    dgamma[c0 + k] = static_cast<float>(sdyx);
    dbeta[c0 + k] = static_cast<float>(sdy[k]);
    const double f = gamma[c0 + k] * invstd / M;
    a[k] = f * M;
    b[k] = -f * invstd * sdyx;
    c[k] = -f * sdy[k];
  }
  const std::vector<float> ca = r.spread<float>(a), cb = r.spread<float>(b), cc = r.spread<float>(c), mc = r.spread<float>(m);
  for (int64_t o = 0; o < r.outer; o++) {
    const float* g = dy + r.at(o, c0);
    const float* xr = x + r.at(o, c0);
    float* d = dx + r.at(o, c0);
    for (int64_t j = 0; j < w; j++) d[j] = ca[j] * g[j] + (cb[j] * (xr[j] - mc[j]) + cc[j]);
  }
}

}  // namespace sn
