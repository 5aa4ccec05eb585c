// Shared by src/native/isa/<isa>.cc (included first in kernels.inl): the 8-lane kernels of the same design that
// the avx512 path hands some geometries to (conv/dispatch.inl, pool/dispatch.inl), where 16-lane vectors cover
// them badly. Every AVX-512 CPU runs AVX2 and FMA. Both share the backend's filter cache: a packed layout's key
// holds everything that shapes it (tile height, channel panel width), so a layout is the same whichever path made it.

/** The avx2 path's kernels when this is the avx512 path (null otherwise, or if the CPU lacked AVX2): non-null only where S::N is 16. */
const KernelSet* eightLaneKernels() {
  if constexpr (kIsa == Isa::Avx512) {
    static const KernelSet* const set = isaSupported(Isa::Avx2) ? avx2Kernels() : nullptr;
    return set;
  }
  return nullptr;
}
