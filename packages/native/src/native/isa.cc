#include "isa.h"

namespace sn {

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Neon:
      return "neon";
    default:
      return "portable";
  }
}

bool isaSupported(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return avx512Kernels() != nullptr && cpuHasAvx512();
    case Isa::Avx2:
      return avx2Kernels() != nullptr && cpuHasAvx2();
    case Isa::Neon:
      return neonKernels() != nullptr;
    default:
      return true;
  }
}

Isa bestIsa() {
  for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Neon})
    if (isaSupported(isa)) return isa;
  return Isa::Portable;
}

std::string supportedIsas() {
  std::string out;
  for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Portable}) {
    if (!isaSupported(isa)) continue;
    if (!out.empty()) out += ", ";
    out += isaName(isa);
  }
  return out;
}

const KernelSet& kernelSet(Isa isa) {
  const KernelSet* set = nullptr;
  switch (isa) {
    case Isa::Avx512:
      set = avx512Kernels();
      break;
    case Isa::Avx2:
      set = avx2Kernels();
      break;
    case Isa::Neon:
      set = neonKernels();
      break;
    default:
      break;
  }
  return set ? *set : *portableKernels();
}

}  // namespace sn
