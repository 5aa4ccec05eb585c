// The vector kernels compiled for ARM64 Advanced SIMD (NEON, part of the ARMv8-A baseline).
#include "isa-prelude.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#include "../simd/neon.h"
namespace sn {
namespace {
using S = simd::Neon;
constexpr Isa kIsa = Isa::Neon;
}  // namespace
}  // namespace sn
#include "kernels.inl"

namespace sn {
const KernelSet* neonKernels() { return &kSet; }
}  // namespace sn
#else
namespace sn {
const KernelSet* neonKernels() { return nullptr; }
}  // namespace sn
#endif
