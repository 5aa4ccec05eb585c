// The vector kernels compiled with portable 4-lane vector extensions for the target's baseline (every CPU).
#include "isa-prelude.h"

#include "../simd/portable.h"
namespace sn {
namespace {
using S = simd::Portable;
constexpr Isa kIsa = Isa::Portable;
}  // namespace
}  // namespace sn
#include "kernels.inl"

namespace sn {
const KernelSet* portableKernels() { return &kSet; }
}  // namespace sn
