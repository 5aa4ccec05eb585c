// Conv2D geometry read from the core plan encoding, plus im2col / col2im shared by the conv kernels.
#pragma once

#include <functional>

#include "runtime.h"

namespace sn {

/** Mirrors CONV2D_ENCODING in packages/core/src/plans/conv2d.ts. */
struct ConvGeom {
  int64_t N, C, H, W, O, OH, OW, KH, KW, SH, SW, DH, DW, PT, PB, PL, PR, G;
  int64_t Cg, Og, Kdim, P;
  int64_t inSize, filterSize, outSize;
  /** 1x1, stride 1, no padding: the input image is already the GEMM operand. */
  bool pointwise;
};

/** Reads and checks the plan: every size positive, groups dividing channels. */
ConvGeom readConvPlan(const Args& a);

/** col[(c * KH + kh) * KW + kw][oh * OW + ow] for channels [c0, c0 + Cg) of one image. */
void im2col(const ConvGeom& g, const float* image, int64_t c0, float* col);

/** Adds col back into a zeroed image (the adjoint of im2col). */
void col2im(const ConvGeom& g, const float* col, int64_t c0, float* image);

/** One image's channel group seen as the im2col matrix, for Gemm::packB. */
struct ImplicitCol {
  const ConvGeom* g;
  const float* image;
  int64_t c0;
};

/** Packs col[k0 .. k0 + kc)[j0 .. j0 + nr) (B of the forward GEMM) straight from the image. */
void packColPanel(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nr, float* out);

/** Packs col^T[k0 .. k0 + kc)[j0 .. j0 + nr) (B of the filter-gradient GEMM) straight from the image. */
void packColTPanel(const void* ctx, int64_t k0, int64_t kc, int64_t j0, int64_t nr, float* out);

/**
 * A convolution's filter as the kernels get it: the raw OIHW weights (made on first use for derived
 * filters, such as the flipped one of the input gradient), and packed layouts of it, cached across calls
 * by the runtime's FilterCache when the filter is a buffer of its own (cache non-null).
 */
struct FilterRef {
  std::function<const float*()> weights;
  FilterCache* cache = nullptr;
  uint64_t id = 0, version = 0;
  /** Distinguishes filters derived from the same buffer (input-gradient phases). */
  uint64_t salt = 0;
  /** The buffer is marked constant (Buffer::constant): inference-only algorithms may run on it. */
  bool constant = false;
  /**
   * The flipped filter of a stride-1 input gradient (backpropInput): what the forward kernels compute with it feeds
   * no ReLU mask (the forward's masks are already taken), so Winograd's rounding may run on it as on constant filters.
   */
  bool inputGradient = false;

  /**
   * Layout `layout` (a hash of everything that shapes it) of `floats` floats; pack(w, out) builds it from the weights
   * in a zeroed block, or (zeroed false) in an uninitialized one where it writes every float.
   */
  FilterCache::Packed packed(uint64_t layout, size_t floats, const std::function<void(const float* w, float* out)>& pack, bool zeroed = true) const;
  /** The same buffer seen through a derivation `tag` with its own weights. */
  FilterRef derived(uint64_t tag, std::function<const float*()> derivedWeights) const;
};

/** Which buffer (and which version of its contents) a kernel call's filter is, taken when the call is queued. */
struct FilterKey {
  FilterCache* cache;
  uint64_t id, version;
  bool constant;
  /** The FilterRef of this call's filter data. */
  FilterRef ref(const float* w) const { return FilterRef{[w] { return w; }, cache, id, version, 0, constant}; }
};

/** The key of input `i` (a filter) of a kernel call: its buffer id and the write version of its contents. */
inline FilterKey filterKey(const Args& a, size_t i) {
  const BufferPtr& b = a.in[i];
  return FilterKey{&b->counters->filters, b->id, b->version.load(), b->constant.load()};
}

/** Mixes values into a 64-bit layout key. */
uint64_t layoutKey(std::initializer_list<int64_t> values);

/** Independent scratch buffers per thread; a kernel uses each slot for one purpose at a time. */
constexpr int kScratchSlots = 4;

/**
 * Per-thread scratch buffer `slot` (< kScratchSlots), 64-byte aligned, reused across calls (fresh
 * pages cost a fault each). Contents are unspecified.
 */
float* scratch(size_t floats, int slot);

}  // namespace sn
