#!/usr/bin/env bash
# Builds test/isa-check.cc, test/isa-check-conv.cc and test/isa-check-pool.cc (the ISA path check and timing
# program, no Node.js needed) with the addon's kernel sources: every source of src/native/binding.gyp but
# addon.cc, the Node binding itself, and the kernel files of src/native/generated/kernels.gypi, which
# binding.gyp includes as "<@(stridenet_kernel_sources)".
#
#   scripts/build-isa-check.sh [OUT_DIR]          (default: packages/native/build/isa-check)
#   CXX=aarch64-linux-gnu-g++ scripts/build-isa-check.sh /tmp/isa-check-arm64
#   qemu-aarch64-static /tmp/isa-check-arm64/isa-check-aarch64
#
# The binary, OUT_DIR/isa-check-<arch>, is linked statically so that it runs on a bare machine (or under
# qemu-aarch64-static without -L); if static linking fails it is linked dynamically, with a warning.
# CXXFLAGS adds compiler flags; JOBS sets the parallel compiles (default: the CPU count). Linux (bash 4).
# The default OUT_DIR lies in node-gyp's build directory, which a rebuild of the addon clears.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$here/src/native"
out="${1:-$here/build/isa-check}"
cxx="${CXX:-g++}"

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "build-isa-check: compiler '$cxx' not found" >&2
  case "$cxx" in
    aarch64-linux-gnu-*) echo "  Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu" >&2 ;;
  esac
  exit 1
fi

arch="$("$cxx" -dumpmachine)"
arch="${arch%%-*}"
obj="$out/obj-$arch"
bin="$out/isa-check-$arch"
mkdir -p "$obj"

# The addon's own source list, so that the check builds exactly the kernels the addon ships (binding.gyp
# and the generated kernels.gypi hold one "path.cc" per line; binding.gyp's "<@(...)" line names the
# kernels.gypi list and is not a path).
gyp_sources() {
  sed -n 's/^[[:space:]]*"\([^"<]*\.cc\)",\{0,1\}[[:space:]]*$/\1/p' "$1"
}
mapfile -t sources < <(gyp_sources "$src/binding.gyp" | grep -vx 'addon.cc')
mapfile -t kernels < <(gyp_sources "$src/generated/kernels.gypi")
if [ "${#sources[@]}" -eq 0 ] || [ "${#kernels[@]}" -eq 0 ]; then
  echo "build-isa-check: no sources found in $src/binding.gyp or $src/generated/kernels.gypi" >&2
  exit 1
fi
if ! grep -q '"<@(stridenet_kernel_sources)"' "$src/binding.gyp"; then
  echo "build-isa-check: $src/binding.gyp no longer includes the kernels.gypi list; update this script" >&2
  exit 1
fi
sources+=("${kernels[@]}")

flags=(-std=c++17 -O3 -fno-math-errno -fno-trapping-math -pthread -I "$src")
# shellcheck disable=SC2206 # CXXFLAGS is a list of flags
flags+=(${CXXFLAGS:-})

tests=(isa-check.cc isa-check-conv.cc isa-check-pool.cc)
echo "build-isa-check: $cxx ($arch), ${#sources[@]} kernel sources + test/{${tests[*]}} -> $bin"
units=()
for s in "${sources[@]}"; do units+=("$src/$s"); done
for t in "${tests[@]}"; do units+=("$here/test/$t"); done

# Object names keep the source path (kernels/conv2d.cc -> kernels_conv2d.o) so that none collide.
objects=()
for u in "${units[@]}"; do
  rel="${u#"$here"/}"
  rel="${rel#src/native/}"
  rel="${rel%.cc}"
  objects+=("$obj/${rel//\//_}.o")
done

jobs="${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
failed=0
active=0
for i in "${!units[@]}"; do
  "$cxx" "${flags[@]}" -c "${units[$i]}" -o "${objects[$i]}" &
  active=$((active + 1))
  if [ "$active" -ge "$jobs" ]; then
    wait -n || failed=1
    active=$((active - 1))
  fi
done
while [ "$active" -gt 0 ]; do
  wait -n || failed=1
  active=$((active - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "build-isa-check: compilation failed" >&2
  exit 1
fi

if "$cxx" "${flags[@]}" -static "${objects[@]}" -o "$bin" 2>"$obj/static-link.log"; then
  echo "build-isa-check: built $bin (static)"
else
  echo "build-isa-check: warning: static linking failed (see $obj/static-link.log); linking dynamically," >&2
  echo "  so the binary needs this toolchain's C++ runtime where it runs" >&2
  "$cxx" "${flags[@]}" "${objects[@]}" -o "$bin"
  echo "build-isa-check: built $bin (dynamic)"
fi
