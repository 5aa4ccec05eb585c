// The portable vector layer: one kernel design for every ISA.
//
// Kernels (src/native/conv/, src/native/pool/) are templates over an ISA description S, a struct of
// static always-inline functions on S::V (a vector of S::N floats), S::M (a lane mask) and S::VI (a
// vector of S::N int32), plus the register-tile sizes that suit the ISA's register file. Each
// src/native/isa/<isa>.cc compiles the same templates once for its ISA inside a target region
// (SN_TARGET_BEGIN) and exports a KernelSet (isa.h); the runtime picks one per backend instance.
//
// Each S spells out the whole interface, forwards shared by several ISAs included (the natural loose order,
// zipOrder's identity on 4 lanes), so one header reads as its ISA's complete layer. A shared default would have
// to be compiled inside each target region: one defined here, before the region, cannot inline the ISA's own
// operations (GCC: "inlining failed in call to 'always_inline' ...: target specific option mismatch").
//
// Masks travel between kernels and the layer as plain bit sets (bit l = lane l, uint32_t) and are
// turned into S::M once per tile with S::mask(bits), so kernels never depend on a mask type.
//
// Contract of every S (checked by the conformance suite on each path):
// - load/store: unaligned, full width. maskLoad: lanes outside the mask read as 0 and their memory is
//   never touched (it may lie outside the buffer); maskLoadOr keeps `src` there; maskStore writes only
//   the masked lanes.
// - max(a, b) returns b when either operand is NaN (x86 MAXPS semantics), so max(0, NaN) is NaN.
// - fma(a, b, c) = a * b + c, fused where the ISA has it.
// - loadHalves(lo, hi): lanes 0 .. N/2-1 from lo[0 .. N/2-1], lanes N/2 .. N-1 from hi[0 .. N/2-1].
// - zipLo/zipHi(a, b) interleave: zipLo = a0 b0 a1 b1 ... (lanes 0 .. N/2-1 of each), zipHi the rest.
// - zip4Lo/zip4Hi(a, b): zipLo/zipHi within each group of 4 lanes (lanes 4g .. 4g+3 of zip4Lo are a[4g] b[4g]
//   a[4g+1] b[4g+1], of zip4Hi a[4g+2] b[4g+2] a[4g+3] b[4g+3]); joinLo(a, b) is a's low half then b's low
//   half (N/2 lanes each), joinHi(a, b) a's high half then b's.
// - zipOrder(a): a's lanes reordered so that zip4Lo/zip4Hi of two reordered vectors are zipLo/zipHi of the
//   originals (zip4Lo(zipOrder(a), zipOrder(b)) = zipLo(a, b)): a load's one permute in place of a cross-half
//   zip per pair of vectors built from it lane by lane. The identity on 4 lanes.
// - keep(m, a): a where m, else 0 (select(m, a, zero()) in one AND where masks are lanes).
// - evens/odds(lo, hi): lanes 0, 2, 4, ... (1, 3, 5, ...) of the 2N-lane concatenation lo:hi.
// - slideIn(prev, cur): prev's last lane, then cur's lanes 0 .. N-2 (the 2N-lane prev:cur one lane back from cur).
// - Loose order, for lane-wise work between a deinterleave and a store: evensLoose/oddsLoose(lo, hi) are evens/odds
//   with their lanes in an order of the ISA's choosing (the same for both), slideInLoose(carry, odd) is slideIn in
//   that order (carry: the previous call's state, set1(fill) before the first, whose lanes then read fill), and
//   fromLoose(v) puts the lanes back in order.
// - swapPairs(a): each even lane swapped with the odd lane after it (a1 a0 a3 a2 ...), within 128-bit halves.
// - dupPairs(p): lanes 2i and 2i + 1 both read p[i] (N/2 floats read).
// - slideOut(cur, next): cur's lanes 1 .. N-1, then next's first lane (cur:next one lane on from cur).
// - Double lanes, for sums that must not lose float bits (batch norm): S::D holds S::ND = N / 2 doubles;
//   dload widens ND floats, dstore rounds ND doubles to floats, dreduceAdd adds the lanes in a fixed order,
//   dmax(a, b) is max's rule on doubles (b when either is NaN), dpos(y, v) is v where y > 0 and 0 elsewhere,
//   dfloat(v) is v rounded to float (as doubles); dloadPos(y, g) is dpos(dload(y), dload(g)) and dstoreAdd(p, v, r, relu)
//   is dstore(p, v') with v' = dfloat(v) + dload(r), then dmax(dzero(), v') where relu, both bit for bit (the float
//   sum of two floats is exact in double, so x86 forms it in float lanes: fewer widenings and narrowings).
#pragma once

#include <cstdint>

#if defined(__GNUC__) || defined(__clang__)
#define SN_INLINE inline __attribute__((always_inline))
// A read prefetch into every cache level (a hint: never faults, may be dropped).
#define SN_PREFETCH(p) __builtin_prefetch(p)
#else
#define SN_INLINE inline
#define SN_PREFETCH(p) ((void)(p))
#endif

// Target regions: every function defined between SN_TARGET_BEGIN and SN_TARGET_END is compiled for the
// named ISA (GCC: target pragma; clang: the target attribute applied to every function). Standard headers
// must be included before the region, so their inline functions stay baseline code.
#define SN_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define SN_TARGET_BEGIN(t) SN_PRAGMA(clang attribute push(__attribute__((target(t))), apply_to = function))
#define SN_TARGET_END SN_PRAGMA(clang attribute pop)
#elif defined(__GNUC__)
#define SN_TARGET_BEGIN(t) SN_PRAGMA(GCC push_options) SN_PRAGMA(GCC target(t))
#define SN_TARGET_END SN_PRAGMA(GCC pop_options)
#else
#define SN_TARGET_BEGIN(t)
#define SN_TARGET_END
#endif

namespace sn {

/** Bits [lo, hi) set (0 <= lo, hi <= 32). */
SN_INLINE uint32_t laneBits(int64_t lo, int64_t hi) {
  if (hi <= lo) return 0;
  const uint32_t top = hi >= 32 ? 0xffffffffu : ((1u << hi) - 1u);
  return top & ~((1u << lo) - 1u);
}

/** Lanes l < N whose column start + l lies in [0, W). */
SN_INLINE uint32_t rowBits(int64_t start, int64_t W, int N) {
  const int64_t lo = start < 0 ? -start : 0;
  const int64_t hi = W - start < N ? W - start : N;
  return laneBits(lo, hi);
}

/** Lanes l < N of outputs whose input column start + l * SW lies in [0, W). */
SN_INLINE uint32_t tapBits(int64_t start, int64_t SW, int64_t W, int N) {
  if (SW == 1) return rowBits(start, W, N);
  const int64_t lo = start < 0 ? (-start + SW - 1) / SW : 0;
  const int64_t n = W - start > 0 ? (W - start + SW - 1) / SW : 0;
  return laneBits(lo, n < N ? n : N);
}

}  // namespace sn
