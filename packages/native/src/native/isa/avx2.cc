// The vector kernels compiled for AVX2 + FMA (x86-64 only; selected at run time when the CPU has both).
#include "isa-prelude.h"

#if SN_X86
#include <immintrin.h>


SN_TARGET_BEGIN("avx2,fma")
#include "../simd/avx2.h"
namespace sn {
namespace {
using S = simd::Avx2;
constexpr Isa kIsa = Isa::Avx2;
}  // namespace
}  // namespace sn
#include "kernels.inl"
SN_TARGET_END

namespace sn {
const KernelSet* avx2Kernels() { return &kSet; }
}  // namespace sn
#else
namespace sn {
const KernelSet* avx2Kernels() { return nullptr; }
}  // namespace sn
#endif
