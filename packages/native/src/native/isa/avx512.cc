// The vector kernels compiled for AVX-512F (x86-64 only; selected at run time when the CPU has it).
#include "isa-prelude.h"

#if SN_X86
#include <immintrin.h>

// GCC 12 flags _mm512_undefined_ps inside its own _mm512_max_ps / _mm512_reduce_add_ps as (maybe-)
// uninitialized: a false positive in its headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

SN_TARGET_BEGIN("avx512f")
#include "../simd/avx512.h"
namespace sn {
namespace {
using S = simd::Avx512;
constexpr Isa kIsa = Isa::Avx512;
}  // namespace
}  // namespace sn
#include "kernels.inl"
SN_TARGET_END

namespace sn {
const KernelSet* avx512Kernels() { return &kSet; }
}  // namespace sn
#else
namespace sn {
const KernelSet* avx512Kernels() { return nullptr; }
}  // namespace sn
#endif
