#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if SN_X86
#include <immintrin.h>
#endif

namespace sn {
namespace {

// Register tile: 6x16 (12 ymm accumulators, 2 for B, 1 broadcast of A: 15 of 16 registers), on the avx2 path and
// on avx512 where the CPU runs 512-bit operations as two halves (cpuAvx512FullWidth() false; on a full-width
// one, microAvx512's 16x16 below). A 12x16 AVX-512 kernel (12 zmm accumulators, 1 for B) ran on the avx512 path until Zen 4
// (512-bit operations executed as two 256-bit halves) measured it slower than this one: 1 thread, CPU time,
// bench/isa-ab.ts, 5 interleaved rounds at load 20-40, 1x1 convolutions by GEMM, 8x64x56x56 -> 256 forward
// 11.4-12.1 against 10.1-10.2 ms, 8x256x56x56 -> 64 filter gradient 11.2-11.5 against 10.7-11.0 (even with
// its loop unrolled as below and its A panels packed by register transposes); 1024^3 even (21.2 / 21.3 ms).
constexpr int MR = 6;
constexpr int kMaxMR = 16;
constexpr int NR = static_cast<int>(kPanelWidth);
// KC x NR B micro-panel (16 KiB) stays in L1; MC x KC A block (168 KiB) in L2; KC x NC B panel in L3.
constexpr int64_t KC = 256;
constexpr int64_t MC = 168;  // a multiple of the 6-row tile (the 16-row one blocks by MC16 below)
constexpr int64_t NC = 4080;

struct PackBuffer {
  float* data = nullptr;
  size_t cap = 0;
  ~PackBuffer() { std::free(data); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(data);
      data = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      if (data == nullptr) {
        cap = 0;
        throw std::bad_alloc();
      }
      cap = n;
    }
    return data;
  }
};

thread_local PackBuffer tlsA;
thread_local PackBuffer tlsB;

// b: B's rows k = 0 .. kc-1 at stride ldb, 16 floats each (a packed micro-panel: ldb = NR; B's own rows: its rsB).
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int mr, int nr, bool load);

void microPortable(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int mr, int nr, bool load) {
  // Tile height MR (the portable and AVX2 kernels share the packed A layout).
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int i = 0; i < MR; i++) {
      const float ai = a[i];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += ldb;
  }
  for (int i = 0; i < mr; i++) {
    float* row = c + i * ldc;
    for (int j = 0; j < nr; j++) row[j] = load ? row[j] + acc[i][j] : acc[i][j];
  }
}

#if SN_X86
__attribute__((target("avx2,fma"))) void microAvx2(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                                   int mr, int nr, bool load) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define SN_STEP(o)                                          \
  {                                                         \
    const __m256 b0 = _mm256_loadu_ps(b + (o) * ldb);       \
    const __m256 b1 = _mm256_loadu_ps(b + (o) * ldb + 8);   \
    __m256 av = _mm256_broadcast_ss(a + (o) * MR + 0);      \
    c00 = _mm256_fmadd_ps(av, b0, c00);                     \
    c01 = _mm256_fmadd_ps(av, b1, c01);                     \
    av = _mm256_broadcast_ss(a + (o) * MR + 1);             \
    c10 = _mm256_fmadd_ps(av, b0, c10);                     \
    c11 = _mm256_fmadd_ps(av, b1, c11);                     \
    av = _mm256_broadcast_ss(a + (o) * MR + 2);             \
    c20 = _mm256_fmadd_ps(av, b0, c20);                     \
    c21 = _mm256_fmadd_ps(av, b1, c21);                     \
    av = _mm256_broadcast_ss(a + (o) * MR + 3);             \
    c30 = _mm256_fmadd_ps(av, b0, c30);                     \
    c31 = _mm256_fmadd_ps(av, b1, c31);                     \
    av = _mm256_broadcast_ss(a + (o) * MR + 4);             \
    c40 = _mm256_fmadd_ps(av, b0, c40);                     \
    c41 = _mm256_fmadd_ps(av, b1, c41);                     \
    av = _mm256_broadcast_ss(a + (o) * MR + 5);             \
    c50 = _mm256_fmadd_ps(av, b0, c50);                     \
    c51 = _mm256_fmadd_ps(av, b1, c51);                     \
  }
  int64_t k = 0;
  // Two steps a trip: with four, GCC interleaved them and spilled two accumulators to the stack inside the
  // loop (AVX2 1T CPU time, 3 interleaved rounds at load ~10: 60x512x128 62-67 -> 68-74 GFLOP/s, 1024^3
  // 45 -> 49-51, the ops suite's 1x1 input gradient 20.5 -> 19.7 ms).
#pragma GCC unroll 1
  for (; k + 2 <= kc; k += 2) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldb), _MM_HINT_T0);
    SN_STEP(0) SN_STEP(1)
    a += 2 * MR;
    b += 2 * ldb;
  }
  for (; k < kc; k++) {
    SN_STEP(0)
    a += MR;
    b += ldb;
  }
#undef SN_STEP
  const __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; i++) {
      float* row = c + i * ldc;
      __m256 r0 = rows[i][0], r1 = rows[i][1];
      if (load) {
        r0 = _mm256_add_ps(r0, _mm256_loadu_ps(row));
        r1 = _mm256_add_ps(r1, _mm256_loadu_ps(row + 8));
      }
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    }
    return;
  }
  alignas(32) float tmp[MR][NR];
  for (int i = 0; i < MR; i++) {
    _mm256_store_ps(tmp[i], rows[i][0]);
    _mm256_store_ps(tmp[i] + 8, rows[i][1]);
  }
  for (int i = 0; i < mr; i++) {
    float* row = c + i * ldc;
    for (int j = 0; j < nr; j++) row[j] = load ? row[j] + tmp[i][j] : tmp[i][j];
  }
}
#endif

#if SN_X86
/**
 * 16-lane kernel for full-width AVX-512 (Zen 5): 16 x 16, 16 zmm accumulators and one of B, A broadcast from
 * memory by each multiply-add (17 of 32 registers; 16 independent chains, twice the 4-cycle FMA latency times
 * its 2 pipes). The same 16-float B panels as the 8-lane kernel, so convolutions' packB callbacks
 * and B read in place serve both. Each C element is one multiply-add chain over k in order, as in microAvx2:
 * with the same K blocks both kernels give the same bits. Two k-steps a trip; four measured no faster.
 */
__attribute__((target("avx512f,avx2,fma"))) void microAvx512(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                                             int mr, int nr, bool load) {
  // Not a template: scripts/check-baseline.mjs matches target functions by their plain names.
  constexpr int R = 16;
  __m512 acc[R];
#pragma GCC unroll 32
  for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();
  int64_t k = 0;
#pragma GCC unroll 1
  for (; k + 2 <= kc; k += 2) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldb), _MM_HINT_T0);
    const __m512 b0 = _mm512_loadu_ps(b);
#pragma GCC unroll 32
    for (int i = 0; i < R; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc[i]);
    const __m512 b1 = _mm512_loadu_ps(b + ldb);
#pragma GCC unroll 32
    for (int i = 0; i < R; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[R + i]), b1, acc[i]);
    a += 2 * R;
    b += 2 * ldb;
  }
  for (; k < kc; k++) {
    const __m512 b0 = _mm512_loadu_ps(b);
#pragma GCC unroll 32
    for (int i = 0; i < R; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc[i]);
    a += R;
    b += ldb;
  }
  if (mr == R && nr == NR) {
#pragma GCC unroll 32
    for (int i = 0; i < R; i++) {
      float* row = c + i * ldc;
      _mm512_storeu_ps(row, load ? _mm512_add_ps(acc[i], _mm512_loadu_ps(row)) : acc[i]);
    }
    return;
  }
  const __mmask16 m = static_cast<__mmask16>((1u << nr) - 1);
#pragma GCC unroll 32
  for (int i = 0; i < R; i++) {
    if (i >= mr) break;
    float* row = c + i * ldc;
    _mm512_mask_storeu_ps(row, m, load ? _mm512_add_ps(acc[i], _mm512_maskz_loadu_ps(m, row)) : acc[i]);
  }
}
#endif

#if SN_X86
/**
 * 8 x 32 tile for full-width AVX-512 on B read in place (B's own rows, 32 columns: two panels' width): 16 zmm
 * accumulators, two of B, A broadcast from memory; per k-step 2 + 8 loads for 16 multiply-adds against 17 for 16 in
 * the 16 x 16 tile, and each C row written as two adjacent lines. Columns past nr (at most 32) are masked on B's
 * loads (no fault past the end of B) and on C. Each C element is one multiply-add chain over k in order, as in the
 * other kernels. 12 and 14 rows (24 and 28 accumulators) ran slower on the 1x1 64 -> 256 forward (Zen 5, 1 thread,
 * isa-check --cpu-time, 3 interleaved rounds at load ~13: 8 rows 218-221 GFLOP/s, 12 rows 206-211, 14 rows 195-204).
 */
/** One k-step of microAvx512Wide's 8 rows: acc[2 i + h] += a[i] * b_h (inlined into both of its loops). */
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void wideStep(__m512 (&acc)[16], const float* a, __m512 b0, __m512 b1) {
#pragma GCC unroll 32
  for (int i = 0; i < 8; i++) {
    const __m512 ai = _mm512_set1_ps(a[i]);
    acc[2 * i] = _mm512_fmadd_ps(ai, b0, acc[2 * i]);
    acc[2 * i + 1] = _mm512_fmadd_ps(ai, b1, acc[2 * i + 1]);
  }
}

__attribute__((target("avx512f,avx2,fma"))) void microAvx512Wide(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                                                 int mr, int nr, bool load) {
  constexpr int R = 8;  // wideStep's rows
  __m512 acc[2 * R];
#pragma GCC unroll 32
  for (int i = 0; i < 2 * R; i++) acc[i] = _mm512_setzero_ps();
  if (nr == 2 * NR) {
#pragma GCC unroll 1
    for (int64_t k = 0; k < kc; k++) {
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldb), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldb + NR), _MM_HINT_T0);
      wideStep(acc, a, _mm512_loadu_ps(b), _mm512_loadu_ps(b + NR));
      a += R;
      b += ldb;
    }
#pragma GCC unroll 32
    for (int i = 0; i < R; i++) {
      if (i >= mr) break;
      float* row = c + i * ldc;
      _mm512_storeu_ps(row, load ? _mm512_add_ps(acc[2 * i], _mm512_loadu_ps(row)) : acc[2 * i]);
      _mm512_storeu_ps(row + NR, load ? _mm512_add_ps(acc[2 * i + 1], _mm512_loadu_ps(row + NR)) : acc[2 * i + 1]);
    }
    return;
  }
  const __mmask16 m0 = static_cast<__mmask16>(nr >= NR ? 0xffffu : (1u << nr) - 1);
  const __mmask16 m1 = static_cast<__mmask16>(nr <= NR ? 0u : (1u << (nr - NR)) - 1);
#pragma GCC unroll 1
  for (int64_t k = 0; k < kc; k++) {
    wideStep(acc, a, _mm512_maskz_loadu_ps(m0, b), _mm512_maskz_loadu_ps(m1, b + NR));
    a += R;
    b += ldb;
  }
  const __mmask16 ms[2] = {m0, m1};
#pragma GCC unroll 32
  for (int i = 0; i < R; i++) {
    if (i >= mr) break;
    float* row = c + i * ldc;
    for (int h = 0; h < 2; h++)
      _mm512_mask_storeu_ps(row + h * NR, ms[h], load ? _mm512_add_ps(acc[2 * i + h], _mm512_maskz_loadu_ps(ms[h], row + h * NR)) : acc[2 * i + h]);
  }
}
#endif

#if SN_X86
/**
 * 3 x 32 tile for the avx2 path on B read in place (B's own rows, 32 columns: two panels' width): 12 ymm
 * accumulators, the 3 rows of A broadcast once a k-step and each of B's 4 vectors loaded once and used by 3
 * multiply-adds (16 registers); per k-step 3 + 4 loads for 12 multiply-adds against 8 for 12 in the 6 x 16 tile,
 * and each C row written as two adjacent lines. Columns past nr (at most 32) are masked on B's loads (no fault
 * past the end of B) and on C. Each C element is one multiply-add chain over k in order, as in microAvx2.
 */
__attribute__((target("avx2,fma"), always_inline)) inline void wideTileAvx2(int64_t kc, const float* a, const float* b, int64_t ldb,
                                                                           float* c, int64_t ldc, int mr, int nr, bool load) {
  constexpr int R = 3;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c02 = _mm256_setzero_ps(), c03 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(), c12 = _mm256_setzero_ps(), c13 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c22 = _mm256_setzero_ps(), c23 = _mm256_setzero_ps();
#define SN_WSTEP(o, L0, L1, L2, L3)                         \
  {                                                         \
    const __m256 a0 = _mm256_broadcast_ss(a + (o) * R);     \
    const __m256 a1 = _mm256_broadcast_ss(a + (o) * R + 1); \
    const __m256 a2 = _mm256_broadcast_ss(a + (o) * R + 2); \
    const float* bo = b + (o) * ldb;                        \
    __m256 bv = L0;                                         \
    c00 = _mm256_fmadd_ps(a0, bv, c00);                     \
    c10 = _mm256_fmadd_ps(a1, bv, c10);                     \
    c20 = _mm256_fmadd_ps(a2, bv, c20);                     \
    bv = L1;                                                \
    c01 = _mm256_fmadd_ps(a0, bv, c01);                     \
    c11 = _mm256_fmadd_ps(a1, bv, c11);                     \
    c21 = _mm256_fmadd_ps(a2, bv, c21);                     \
    bv = L2;                                                \
    c02 = _mm256_fmadd_ps(a0, bv, c02);                     \
    c12 = _mm256_fmadd_ps(a1, bv, c12);                     \
    c22 = _mm256_fmadd_ps(a2, bv, c22);                     \
    bv = L3;                                                \
    c03 = _mm256_fmadd_ps(a0, bv, c03);                     \
    c13 = _mm256_fmadd_ps(a1, bv, c13);                     \
    c23 = _mm256_fmadd_ps(a2, bv, c23);                     \
  }
  if (nr == 32) {
#pragma GCC unroll 1
    for (int64_t k = 0; k < kc; k++) {
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldb), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldb + 16), _MM_HINT_T0);
      SN_WSTEP(0, _mm256_loadu_ps(bo), _mm256_loadu_ps(bo + 8), _mm256_loadu_ps(bo + 16), _mm256_loadu_ps(bo + 24))
      a += R;
      b += ldb;
    }
  } else {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i m[4];
    for (int h = 0; h < 4; h++) m[h] = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8 * h), lane);
    if (nr <= 16) {
      // Half width: two vectors of B (the rest of the accumulators stay zero and are not stored).
#pragma GCC unroll 1
      for (int64_t k = 0; k < kc; k++) {
        const __m256 a0 = _mm256_broadcast_ss(a), a1 = _mm256_broadcast_ss(a + 1), a2 = _mm256_broadcast_ss(a + 2);
        const __m256 b0 = _mm256_maskload_ps(b, m[0]), b1 = _mm256_maskload_ps(b + 8, m[1]);
        c00 = _mm256_fmadd_ps(a0, b0, c00);
        c10 = _mm256_fmadd_ps(a1, b0, c10);
        c20 = _mm256_fmadd_ps(a2, b0, c20);
        c01 = _mm256_fmadd_ps(a0, b1, c01);
        c11 = _mm256_fmadd_ps(a1, b1, c11);
        c21 = _mm256_fmadd_ps(a2, b1, c21);
        a += R;
        b += ldb;
      }
    } else {
#pragma GCC unroll 1
      for (int64_t k = 0; k < kc; k++) {
        SN_WSTEP(0, _mm256_maskload_ps(bo, m[0]), _mm256_maskload_ps(bo + 8, m[1]), _mm256_maskload_ps(bo + 16, m[2]),
                 _mm256_maskload_ps(bo + 24, m[3]))
        a += R;
        b += ldb;
      }
    }
  }
#undef SN_WSTEP
  const __m256 rows[R][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}};
  if (nr == 32) {
    for (int i = 0; i < R; i++) {
      if (i >= mr) break;
      float* row = c + i * ldc;
      for (int h = 0; h < 4; h++)
        _mm256_storeu_ps(row + 8 * h, load ? _mm256_add_ps(rows[i][h], _mm256_loadu_ps(row + 8 * h)) : rows[i][h]);
    }
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int i = 0; i < R; i++) {
    if (i >= mr) break;
    float* row = c + i * ldc;
    for (int h = 0; h < (nr + 7) / 8; h++) {
      const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8 * h), lane);
      _mm256_maskstore_ps(row + 8 * h, m, load ? _mm256_add_ps(rows[i][h], _mm256_maskload_ps(row + 8 * h, m)) : rows[i][h]);
    }
  }
}

/** `count` 3 x 32 tiles down C (A's panels one after another), each as wideTileAvx2. */
__attribute__((target("avx2,fma"))) void microAvx2Wide(int64_t count, int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                                       int64_t ldc, int mr, int nr, bool load) {
#pragma GCC unroll 1
  for (int64_t t = 0; t < count; t++) wideTileAvx2(kc, a + t * kc * 3, b, ldb, c + t * 3 * ldc, ldc, mr, nr, load);
}
#endif

#if SN_X86
/** Transposes the 8 x 8 block r in registers: row i becomes column i. */
__attribute__((target("avx2,fma"), always_inline)) inline void transpose8(__m256* r) {
  __m256 t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

/**
 * A k-major panel 16 wide (out[k * 16 + j] = src[j * stride + k]) from n <= 16 runs contiguous in k, `stride`
 * floats apart, runs past n zero: 8 x 8 blocks transposed in registers. Inlined into the two packs below, so that
 * the A pack's constant n drops the tests for zero runs.
 */
__attribute__((target("avx2,fma"), always_inline)) inline void pack16(const float* src, int64_t stride, int64_t kc, int n, float* out) {
  constexpr int W = 16;
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    for (int h = 0; h < W; h += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; i++) r[i] = h + i < n ? _mm256_loadu_ps(src + (h + i) * stride + k) : _mm256_setzero_ps();
      transpose8(r);
      for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + (k + i) * W + h, r[i]);
    }
  }
  for (; k < kc; k++)
    for (int j = 0; j < W; j++) out[k * W + j] = j < n ? src[j * stride + k] : 0.f;
}

/**
 * B micro-panel from columns that are contiguous in k (B(k, j) = b[j * csB + k], the pointwise filter
 * gradient's image), columns past nr zero.
 */
__attribute__((target("avx2,fma"))) void packBColumnsAvx2(const float* b, int64_t csB, int64_t kc, int nr, float* out) {
  static_assert(NR == 16, "B micro-panels are 16 floats wide");
  pack16(b, csB, kc, nr, out);
}

/** The 16-row tile's A panel from rows contiguous in k, rsA floats apart (that filter gradient's dy). */
__attribute__((target("avx2,fma"))) void packA16RowsAvx2(const float* a, int64_t rsA, int64_t kc, float* out) { pack16(a, rsA, kc, 16, out); }

/**
 * A panel of 6 rows contiguous in k (dense layers, the pointwise filter gradient's dy): 8 columns at a
 * time transposed in registers (two zero rows), written as 8 overlapping stores of 6 floats' step.
 */
__attribute__((target("avx2,fma"))) void packA6RowsAvx2(const float* const* src, int64_t kc, float* out) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 r[8];
    for (int i = 0; i < 6; i++) r[i] = _mm256_loadu_ps(src[i] + k);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8(r);
    float* o = out + k * 6;
    // Each store's last two lanes are overwritten by the next; the last one writes its 6 floats only.
    for (int i = 0; i < 7; i++) _mm256_storeu_ps(o + 6 * i, r[i]);
    _mm_storeu_ps(o + 42, _mm256_castps256_ps128(r[7]));
    _mm_storel_pi(reinterpret_cast<__m64*>(o + 46), _mm256_extractf128_ps(r[7], 1));
  }
  for (; k < kc; k++)
    for (int i = 0; i < 6; i++) out[k * 6 + i] = src[i][k];
}
#endif

/** The micro-kernel, its tile height and blocking for one product; avx2: the packing may use AVX2. */
struct Tile {
  MicroKernel fn;
  int mr;
  bool avx2;
  int64_t kc = KC;
  int64_t mc = MC;
  /** K block of the one-block path when M <= 64. */
  int64_t kcSmall = KC / 2;
};

// The 16-lane tile: 16 rows (a divisor of the usual channel counts, so conv GEMMs pad no rows), K blocks of 256
// (also where M <= 64: the 1x1 64 -> 256 input gradient then runs one K block an image, C written once; against
// 128 even within the noise: 2 threads, wall at chrt -f 10, 4 interleaved rounds at load ~20, 313-352 against
// 312-334 GFLOP/s), row blocks of 160 (10 tiles). Zen 5, a driver timing sn::gemm alone (1 thread, CPU time,
// best of 10-20, 3 interleaved rounds at load ~14): KC 128 / 384 / 512 / 1024 and MC 96 / 320 ran within the
// noise (+-5%) of 256 / 160 on the 1x1 64 -> 256 filter gradient and 1024^3.
constexpr int MR16 = 16;
constexpr int64_t KC16 = 256;
constexpr int64_t MC16 = 160;

Tile pickTile(const Gemm& g) {
#if SN_X86
  // The 16-lane kernel where 512-bit operations run at full width (Zen 5), from 7 rows (one 8-lane tile
  // covers up to 6 rows in 6 cycles a k-step and 16 columns against 8 for one 16-row tile). Zen 5, the 8-lane
  // kernel (main at cd56062) -> this one with the prefetch slices below: 1x1 8x64x56x56 -> 256 by isa-check
  // --bench-only (--cpu-time, 1 thread, 4 interleaved rounds at load 10-13) forward 8.2-8.7 -> 4.7-5.0 ms,
  // input gradient 8.8-9.4 -> 4.9-5.2, filter gradient 9.2-9.8 -> 5.7-6.0; 2 threads, wall at chrt -f 10
  // (4 rounds): 4.2-4.3 -> 2.4-3.0 (3 of 4 at 2.4), 4.4-4.7 -> 2.5-2.6, 4.7-4.8 -> 2.9-3.1 ms (in an earlier
  // set at load ~20 2.24-2.27, 2.3-2.6 and 2.7-2.8 ms, without the slices). A driver timing sn::gemm alone (1 thread, CPU time, 3 interleaved rounds at
  // load 14-20): 1024^3 20.8-21.8 -> 12.2-13.7 ms (98-103 -> 156-176 GFLOP/s, 70-78% of the 16-lane peak);
  // dense M x 1024 by 1024 x 1000: M = 8 0.26-0.29 -> 0.22-0.25, M = 32 0.72-0.76 -> 0.40-0.42 ms, but M = 1-6
  // 0.14-0.16 -> 0.21-0.22 (hence from 7 rows). Zen 4 keeps the 8-lane kernel it measured faster (above).
  if (g.isa == Isa::Avx512 && g.M > MR && cpuHasAvx512() && cpuAvx512FullWidth()) return {microAvx512, MR16, true, KC16, MC16, KC16};
  if ((g.isa == Isa::Avx512 || g.isa == Isa::Avx2) && cpuHasAvx2()) return {microAvx2, MR, true};
#endif
  return {microPortable, MR, false};
}

// One B micro-panel: rows [pc, pc + kc), columns [j0, j0 + nr), k-major, zero beyond nr.
void packB(const Gemm& g, const Tile& t, int64_t pc, int64_t kc, int64_t j0, int64_t nr, float* out) {
  if (g.packB) {
    g.packB(g.packCtx, pc, kc, j0, nr, out);
    return;
  }
  if (g.csB == 1) {
    for (int64_t k = 0; k < kc; k++) {
      const float* src = g.B + (pc + k) * g.rsB + j0;
      float* o = out + k * NR;
      if (nr == NR) {
        // The line 16 panels on in the same row, into L2: a panel reads one line from each of kc rows, more
        // streams than the hardware prefetcher follows. Pointwise convolutions' input gradient (dy) and
        // forward (the image) packed this way before gemm's one-block path read full panels in place:
        // 8x64x56x56 1x1 64 <-> 256 on AVX2, 1 thread, CPU time, medians of 7 interleaved rounds at load
        // ~8: input gradient 19.9 -> 17.5 ms, forward 12-17% less
        // (with the line 4 panels on, into L1). Into L2 from 16 panels on, 64 -> 256 on Zen 4 (5 interleaved
        // rounds at load ~8): input gradient 9.7 -> 9.0 ms, forward 8.3 -> 7.9 (with prefetcht0 4 panels on,
        // the pack took 21% of the input gradient's perf samples, stalled on the current panel's loads).
        __builtin_prefetch(src + 16 * NR, 0, 2);
        std::memcpy(o, src, NR * sizeof(float));
      } else {
        for (int64_t j = 0; j < nr; j++) o[j] = src[j];
        for (int64_t j = nr; j < NR; j++) o[j] = 0.f;
      }
    }
    return;
  }
#if SN_X86
  // Columns contiguous in k (the pointwise filter gradient's image): the scalar gather below took 9% of
  // that filter gradient (8x64x56x56 1x1 -> 256, AVX2, 1 thread).
  if (g.rsB == 1 && t.avx2) {
    packBColumnsAvx2(g.B + j0 * g.csB + pc, g.csB, kc, static_cast<int>(nr), out);
    return;
  }
#else
  (void)t;
#endif
  if (nr < NR) std::memset(out, 0, static_cast<size_t>(kc * NR) * sizeof(float));
  for (int64_t j = 0; j < nr; j++) {
    const float* src = g.B + (j0 + j) * g.csB + pc * g.rsB;
    for (int64_t k = 0; k < kc; k++) out[k * NR + j] = src[k * g.rsB];
  }
}

// A(ic.., pc..) -> panels of MR rows, k-major, zero beyond M.
void packA(const Gemm& g, const Tile& t, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* dst) {
  const int MR = t.mr;
  for (int64_t q = 0; q * MR < mc; q++) {
    const int64_t i0 = ic + q * MR;
    const int64_t mr = std::min<int64_t>(MR, ic + mc - i0);
    float* out = dst + q * kc * MR;
    if (g.rsA == 1 && mr == MR) {
      for (int64_t k = 0; k < kc; k++) {
        const float* src = g.A + i0 + (pc + k) * g.csA;
        for (int i = 0; i < MR; i++) out[k * MR + i] = src[i];
      }
      continue;
    }
    if (g.csA == 1 && mr == MR) {
      // Rows contiguous in k (dense layers, the pointwise filter gradient's dy): the panel written in order
      // from MR row streams instead of in MR strided passes; that filter gradient (8x64x56x56 1x1 -> 256,
      // AVX2, CPU time, 7 interleaved rounds at load ~4) 16.3 -> 13.9 ms on 1 thread, 19.3 -> 16.7 on 2; the
      // register transposes of 6 rows on AVX2 with packBColumnsAvx2 took it from 12.4 to 10.7 ms (1 thread,
      // CPU time, 3 interleaved rounds at load ~4).
      const float* src[kMaxMR];
      for (int i = 0; i < MR; i++) src[i] = g.A + (i0 + i) * g.rsA + pc;
#if SN_X86
      if (MR == 6 && t.avx2) {
        packA6RowsAvx2(src, kc, out);
        continue;
      }
      if (MR == MR16 && t.avx2) {
        packA16RowsAvx2(g.A + i0 * g.rsA + pc, g.rsA, kc, out);
        continue;
      }
#endif
      for (int64_t k = 0; k < kc; k++)
        for (int i = 0; i < MR; i++) out[k * MR + i] = src[i][k];
      continue;
    }
    if (mr < MR) std::memset(out, 0, static_cast<size_t>(kc * MR) * sizeof(float));
    for (int64_t i = 0; i < mr; i++) {
      const float* src = g.A + (i0 + i) * g.rsA + pc * g.csA;
      for (int64_t k = 0; k < kc; k++) out[k * MR + i] = src[k * g.csA];
    }
  }
}

SN_CLONES void epilogue(const Gemm& g, int64_t i0, int64_t j0, int mr, int nr) {
  for (int i = 0; i < mr; i++) {
    float* row = g.C + (i0 + i) * g.ldc + j0;
    const float br = g.biasRow ? g.biasRow[i0 + i] : 0.f;
    const float* bc = g.biasCol ? g.biasCol + j0 : nullptr;
    const float* res = g.residual ? g.residual + (i0 + i) * g.ldc + j0 : nullptr;
    for (int j = 0; j < nr; j++) {
      float v = row[j] + br + (bc ? bc[j] : 0.f) + (res ? res[j] : 0.f);
      // Keeps NaN as NaN, like max(0, x) in the reference.
      row[j] = (g.relu && v < 0.f) ? 0.f : v;
    }
  }
}

// Prefetches rows [i0, i0 + rows) of A (rows contiguous in k) over columns [pc, pc + kc), into L2, which
// measured faster than into L1 (8x64x56x56 1x1 -> 256 filter gradient, AVX2, Zen 4, 1 thread, CPU time,
// 12 interleaved rounds at load ~10: 10.2 -> 9.6 ms, medians).
void prefetchRows(const Gemm& g, int64_t i0, int64_t rows, int64_t pc, int64_t kc) {
  constexpr int64_t line = 64 / sizeof(float);
  for (int64_t i = 0; i < rows; i++) {
    const float* row = g.A + (i0 + i) * g.rsA + pc;
    for (int64_t k = 0; k < kc; k += line) __builtin_prefetch(row + k, 0, 2);
  }
}

// Multiplies a packed A block by one B micro-panel, packed (ldb = NR) or B's own rows (C columns [j0, j0 + nr)).
void sweepPanel(const Gemm& g, const Tile& t, const float* Ap, const float* bp, int64_t ldb, int64_t ic, int64_t mc, int64_t j0, int nr,
                int64_t kc, bool load, bool last) {
  const int MR = t.mr;
  const bool epi = last && (g.biasRow || g.biasCol || g.residual || g.relu);
  for (int64_t q = 0; q * MR < mc; q++) {
    const int64_t i0 = ic + q * MR;
    const int mr = static_cast<int>(std::min<int64_t>(MR, ic + mc - i0));
    float* c = g.C + i0 * g.ldc + j0;
    t.fn(kc, Ap + q * kc * MR, bp, ldb, c, g.ldc, mr, nr, load);
    if (epi) epilogue(g, i0, j0, mr, nr);
  }
}

// Multiplies one packed A block by packed B panels [p0, p1).
void macro(const Gemm& g, const Tile& t, const float* Ap, const float* Bp, int64_t ic, int64_t mc, int64_t jc, int64_t nc, int64_t kc,
           int64_t p0, int64_t p1, bool load, bool last) {
  for (int64_t p = p0; p < p1; p++) {
    const int64_t j0 = jc + p * NR;
    const int nr = static_cast<int>(std::min<int64_t>(NR, jc + nc - j0));
    sweepPanel(g, t, Ap, Bp + p * kc * NR, NR, ic, mc, j0, nr, kc, load, last);
  }
}

#if SN_X86
/**
 * The one-block path on B's own rows with the 8 x 32 tile (microAvx512Wide), for full-width AVX-512: the whole of A
 * packed first, in K blocks of kKcWide, then each 32-column block of C runs all its K blocks before the next, so
 * that its 8 x 32 tiles come back to C while its lines are still in L1 (the input gradient of the 1x1 64 -> 256,
 * K = 256, takes its 4 K blocks that way), and B's rows two blocks on are fetched into L2 a slice before each tile.
 * Zen 5, 1x1 8x64x56x56 -> 256, isa-check --bench-only --cpu-time (3 interleaved rounds, load ~13), input gradient
 * at 1 thread: K blocks of 32 / 64 / 96 / 256 ran 172-183 / 187-199 / 182-197 / 146-169 GFLOP/s (256 in the order
 * of the 16 x 16 path: K block outside); without the fetches ahead the forward ran 188-198 against 196-214.
 */
constexpr int kWideRows = 8;
constexpr int64_t kKcWide = 64;

void gemmWide(const Gemm& g, ThreadPool* pool, int threads) {
  constexpr int R = kWideRows;
  constexpr int64_t W = 2 * NR;
  const Tile t{microAvx512Wide, R, true, kKcWide, MC16, kKcWide};
  const int64_t kBlocks = (g.K + kKcWide - 1) / kKcWide;
  const int64_t tiles = (g.M + R - 1) / R, blocks = (g.N + W - 1) / W;
  // K block pc's panels start at tiles * R * pc.
  float* Ap = tlsA.get(static_cast<size_t>(tiles * R * g.K));
  for (int64_t pc = 0; pc < g.K; pc += kKcWide) packA(g, t, 0, g.M, pc, std::min(kKcWide, g.K - pc), Ap + tiles * R * pc);
  const bool epiAny = g.biasRow || g.biasCol || g.residual || g.relu;
  constexpr int64_t ahead = 2 * W;
  auto sweep = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const int64_t j0 = b * W;
      const int nr = static_cast<int>(std::min<int64_t>(W, g.N - j0));
      const bool fetch = j0 + ahead + W <= g.N;
      for (int64_t kb = 0; kb < kBlocks; kb++) {
        const int64_t pc = kb * kKcWide, kc = std::min(kKcWide, g.K - pc);
        const bool load = g.accumulate || pc > 0;
        const bool epi = epiAny && pc + kc >= g.K;
        const float* rows = g.B + pc * g.rsB + j0;
        const float* Ak = Ap + tiles * R * pc;
        for (int64_t q = 0; q < tiles; q++) {
          if (fetch)
            for (int64_t k = kc * q / tiles; k < kc * (q + 1) / tiles; k++) {
              __builtin_prefetch(rows + k * g.rsB + ahead, 0, 2);
              __builtin_prefetch(rows + k * g.rsB + ahead + NR, 0, 2);
            }
          const int64_t i0 = q * R;
          const int mr = static_cast<int>(std::min<int64_t>(R, g.M - i0));
          microAvx512Wide(kc, Ak + q * kc * R, rows, g.rsB, g.C + i0 * g.ldc + j0, g.ldc, mr, nr, load);
          if (epi) epilogue(g, i0, j0, mr, nr);
        }
      }
    }
  };
  if (threads > 1 && blocks > 1) pool->parallelFor(blocks, 2, sweep);
  else sweep(0, blocks);
}
#endif

#if SN_X86
constexpr int kWideRowsAvx2 = 3;

/**
 * The one-block path on B's own rows with the 3 x 32 tile (microAvx2Wide), for the avx2 path on Intel, one K block
 * (K <= KC): the whole of A packed in 3-row panels, then each 32-column block of C swept down all its rows by one
 * call (the 6 x 16 path calls its kernel once a tile), and the epilogue applied to the block after it.
 */
void gemmWideAvx2(const Gemm& g, ThreadPool* pool, int threads) {
  constexpr int R = kWideRowsAvx2;
  constexpr int64_t W = 2 * NR;
  const Tile t{nullptr, R, true};  // packA reads the height only
  const int64_t kc = g.K, full = g.M / R, blocks = (g.N + W - 1) / W;
  float* Ap = tlsA.get(static_cast<size_t>((g.M + R - 1) / R * R * kc));
  packA(g, t, 0, g.M, 0, kc, Ap);
  const bool epi = g.biasRow || g.biasCol || g.residual || g.relu;
  auto sweep = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      const int64_t j0 = b * W;
      const int nr = static_cast<int>(std::min<int64_t>(W, g.N - j0));
      const float* rows = g.B + j0;
      if (full > 0) microAvx2Wide(full, kc, Ap, rows, g.rsB, g.C + j0, g.ldc, R, nr, g.accumulate);
      if (full * R < g.M)
        microAvx2Wide(1, kc, Ap + full * kc * R, rows, g.rsB, g.C + full * R * g.ldc + j0, g.ldc, static_cast<int>(g.M - full * R), nr,
                      g.accumulate);
      if (epi) epilogue(g, 0, j0, static_cast<int>(g.M), nr);
    }
  };
  if (threads > 1 && blocks > 1) pool->parallelFor(blocks, 2, sweep);
  else sweep(0, blocks);
}
#endif

}  // namespace

void gemm(const Gemm& g, ThreadPool* pool) {
  if (g.M <= 0 || g.N <= 0) return;
  if (g.K <= 0) {
    for (int64_t i = 0; i < g.M; i++) {
      float* row = g.C + i * g.ldc;
      if (!g.accumulate) std::fill(row, row + g.N, 0.f);
    }
    for (int64_t i = 0; i < g.M; i += MR)
      for (int64_t j = 0; j < g.N; j += NR)
        epilogue(g, i, j, static_cast<int>(std::min<int64_t>(MR, g.M - i)), static_cast<int>(std::min<int64_t>(NR, g.N - j)));
    return;
  }
  const int threads = pool ? pool->size() : 1;
  const Tile tile = pickTile(g);
  const int MR = tile.mr;
  const int64_t KC = tile.kc, MC = tile.mc;
  const int64_t kcMax = std::min(KC, g.K);
  // B's own rows (csB = 1: pointwise convolutions' image in the forward and dy in the input gradient) feed
  // the micro-kernel in place in the one-block path below, full panels, without the copy into a packed
  // panel: it stalled on the image's lines (6% of the 1x1 64 -> 256 forward's perf samples); their lines 4
  // panels on are prefetched into L2 instead. 1 thread, CPU time, best of 9, 3 interleaved rounds at load ~8
  // (AVX2): 8x64x56x56 -> 256 input gradient 9.27-9.43 -> 8.62-9.22 ms, 8x256x56x56 -> 64 forward
  // 9.29-9.39 -> 8.84-9.21, 32x128x16x16 -> 128 2.94-3.04 -> 2.75-2.79 (rows 1 KiB apart, which share 4 of
  // L1's 64 sets: the panel streams from L2 and the kernel keeps pace). Not where the rows lie a multiple of
  // 2 KiB apart: at 4 KiB they share one L1 set and alias the C rows' stores (8x256x32x32 -> 64 forward
  // 3.3-3.5 -> 4.5-5.2 ms, 4x256x32x64 -> 64 3.2 -> 5.4-5.6), at 2 KiB no gain (8x256x16x32 -> 64 1.55-1.66
  // against 1.59-1.66; 3 interleaved rounds at load 12-14). Dense-shaped products (one image, M <= MC) ran
  // even or faster: 128x1024 by 1024x1000 2.62-2.68 -> 2.58-2.64 ms, 32x512 by 512x500 0.196 -> 0.177.
  const bool inPlace = g.packB == nullptr && g.csB == 1 && g.rsB * static_cast<int64_t>(sizeof(float)) % 2048 != 0;
  // With B in place, products whose whole packed A is small (the 1x1 64 -> 256 forward's filter: 256 x 64,
  // 64 KiB) take the one-block path too, rather than packing a KC x NC B block that two row blocks sweep from
  // L2/L3: 8x64x56x56 1x1 -> 256 forward, AVX2, 2 threads (whole images a thread), CPU time, best of 15, 4
  // interleaved rounds at load ~9: 7.90-8.13 ms -> 7.51-7.74. With B packed a panel at a time it ran 2-4%
  // faster at 56x56 (8.66-8.93 -> 8.43-8.54 at load ~10) but 4-10% slower at 32x32 (8x64x32x32 -> 256,
  // 1 thread: 2.69-2.82 -> 2.92-2.97), so it stays with the row blocks there.
  // A's own rows, not the tile's padded ones: the 256 x 64 filter padded to 258 rows on the 6-row tile had sent that
  // forward to the row blocks. Zen 5, isa-check --bench-only --cpu-time, 4 interleaved rounds at load ~13, GFLOP/s:
  // avx2 2 threads 87-94 -> 94-101 (1 thread even), avx512 under STRIDENET_AVX512_FULL_WIDTH=0 (the same 6-row
  // tile) 87-94 -> 96-105 on 1 thread, 84-94 -> 91-99 on 2.
  const bool smallA = g.M * kcMax * static_cast<int64_t>(sizeof(float)) <= (64 << 10);
#if SN_X86
  // Full-width AVX-512 (the 16-row tile was picked), B in place, at least one whole 32-column block: the 8 x 32 tile
  // (gemmWide). Zen 5, 1x1 8x64x56x56 -> 256, isa-check --bench-only --cpu-time (4 interleaved rounds against main
  // at d1efeb2, load 12-14), forward 1 thread 176-181 -> 202-212 GFLOP/s (one round at 162), 2 threads 171-188 ->
  // 203-221; input gradient 1 thread 155-183 -> 192-206, 2 threads 170-181 -> 176-205. A driver timing sn::gemm alone
  // (1 thread, CPU time, best of >= 20, 2 interleaved rounds), M x N x K in ms: 8x1000x1024 0.221 -> 0.114,
  // 32x1000x1024 0.40 -> 0.34, 64x784x192 0.107-0.115 -> 0.094-0.108, 24x196x512 0.042 -> 0.026-0.030,
  // 160x196x528 0.204-0.215 -> 0.184-0.206, 128x49x832 0.077-0.080 against 0.078-0.093; N = 10 (64x10x84) ran
  // 0.0029 -> 0.0043 on masked columns, hence N >= 32. Only where the whole packed A (each column block sweeps all of
  // it) is at most 384 KiB: 128x1000x4096 (2 MiB of A) ran 6.7-6.8 against 6.6-6.7 ms, 128x49x832 (GoogLeNet's 7x7
  // 832 -> 128, 426 KiB) 0.083-0.085 against 0.080-0.082; 160x196x528 (338 KiB) 0.187-0.188 against 0.191-0.195.
  const int64_t wideA = (g.M + kWideRows - 1) / kWideRows * kWideRows * g.K * static_cast<int64_t>(sizeof(float));
  if (MR == MR16 && inPlace && g.N >= 2 * NR && (g.M <= MC || smallA) && wideA <= (384 << 10)) {
    gemmWide(g, pool, threads);
    return;
  }
#endif
#if SN_X86
  // The avx2 path on Intel, B in place, one K block, at least 256 columns: the 3 x 32 tile (gemmWideAvx2). Emerald
  // Rapids (2-vCPU KVM guest), isa-check --isa avx2 --bench-only --cpu-time --reps 7, 1 thread, GFLOP/s, 4 rounds
  // interleaved with main at 421bc63, load 1.0-1.7: 1x1 8x64x56x56 -> 256 forward 114.0-114.2 -> 117.1-117.2, its input
  // gradient (M 64, K 256: one K block where the 6 x 16 path takes two of 128) 91.3-91.5 -> 110.7-111.1; 2x64x28x28 ->
  // 128 forward 117.2-117.5 -> 118.7-119.3, input gradient 113.6-113.9 -> 114.9-116.2. With N 196 (2x128x14x14 -> 256)
  // the input gradient ran 100.2-101.7 against 99.2-99.9, hence N >= 256. What pays is the tile with one kernel call a
  // column block: called once a tile, as the 6 x 16 path does, the forward ran 110.6-113.0 (input gradient 101.6-103.5).
  // Even or slower (2 rounds each): B's rows 1, 2 or 4 blocks ahead fetched into L2 a slice before each tile or in a
  // burst before the block (forward 110.2-112.5), row blocks of 12-129 rows swept across all columns (110.8-112.1),
  // no fetch 8 rows ahead in the kernel (input gradient 100.9-101.3). Zen is not measured: it keeps the 6 x 16 path.
  // stridenet-bench --suite ops, native-avx2 against torch (--peer-isa avx2), 2 threads, wall, 3 and 2 interleaved
  // rounds: 1x1 64->256 8x56x56 fwd 3.70-3.73 -> 3.58-3.60 ms (torch 3.42-3.48), bwd-input 4.68-4.70 -> 3.78 (torch
  // 4.81-4.87); fwd 1 thread 7.35-7.53 -> 7.12-7.15 ms.
  if (g.isa == Isa::Avx2 && tile.fn == microAvx2 && inPlace && g.N >= 16 * NR && g.K <= KC && (g.M <= MC || smallA) && cpuVendorIntel()) {
    gemmWideAvx2(g, pool, threads);
    return;
  }
#endif
  if (g.M <= MC || (smallA && inPlace)) {
    // One row block: each B micro-panel is used by one sweep over A only, so it is packed right
    // before that sweep into an L1-sized buffer instead of a large panel that round-trips through
    // L2/L3. Small-M products (conv layers, filter gradients) are dominated by that traffic otherwise.
    // A shorter K block keeps the whole packed A (<= 64 rows) near L1 while B panels stream past it.
    const int64_t kcBlock = g.M <= 64 ? tile.kcSmall : KC;
    // C is written with plain stores, also when it is large. Non-temporal stores (s43, Intel avx2, products of
    // 2 MiB+ with no epilogue) ran the 1x1 64 -> 256 8x56x56 forward 7.29 -> 6.93 ms CPU at 1 thread, but sent its
    // 25.7 MB to memory: a ReLU on that output right after went 1.53 -> 2.85 ms, conv + ReLU 8.81 -> 9.79 ms
    // (Emerald Rapids, core conv2d then relu, 1 thread pinned, CPU time, 2 rounds each), so its consumer pays more than the
    // stores save while the output still fits the last-level cache. oneDNN's (PyTorch's) kernel there keeps it in
    // cache too (its ReLU after the convolution costs what a ReLU of a cached tensor does).
    float* Ap = tlsA.get(static_cast<size_t>(((g.M + MR - 1) / MR) * MR * kcMax));
    const int64_t panels = (g.N + NR - 1) / NR;
    for (int64_t pc = 0; pc < g.K; pc += kcBlock) {
      const int64_t kc = std::min(kcBlock, g.K - pc);
      const bool load = g.accumulate || pc > 0;
      const bool last = pc + kc >= g.K;
      packA(g, tile, 0, g.M, pc, kc, Ap);
      auto sweep = [&](int64_t p0, int64_t p1) {
        float* Bp = tlsB.get(static_cast<size_t>(kcMax * NR));
        for (int64_t p = p0; p < p1; p++) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, g.N - p * NR));
          if (inPlace && nr == NR) {
            const float* rows = g.B + pc * g.rsB + p * NR;
            const bool ahead = (p + 4) * NR < g.N;
            if (MR == MR16 && kc > 64) {
              // 16-lane tile, more than 64 rows: the prefetches a slice before each tile rather than a burst of
              // kc before the panel, which stalled on the miss buffers. Zen 5, 1x1 8x64x56x56 -> 256 input
              // gradient (4 tiles, kc 256): isa-check --cpu-time, 4 interleaved rounds at load ~16, 1 thread
              // 149-156 -> 158-167 GFLOP/s, 2 threads 153-156 -> 159-170 (one round at 130 left out); sn::gemm
              // alone (1 thread, 6 rounds) 143-156 -> 155-167. Its forward (16 tiles, kc 64) ran 3% slower that
              // way there (156-173 against 164-180), so it keeps the burst.
              const int64_t tiles = (g.M + MR - 1) / MR;
              for (int64_t q = 0; q < tiles; q++) {
                if (ahead)
                  for (int64_t k = kc * q / tiles; k < kc * (q + 1) / tiles; k++) __builtin_prefetch(rows + k * g.rsB + 4 * NR, 0, 2);
                sweepPanel(g, tile, Ap + q * kc * MR, rows, g.rsB, q * MR, std::min<int64_t>(MR, g.M - q * MR), p * NR, nr, kc, load, last);
              }
              continue;
            }
            if (ahead) {
              for (int64_t k = 0; k < kc; k++) __builtin_prefetch(rows + k * g.rsB + 4 * NR, 0, 2);
            }
            sweepPanel(g, tile, Ap, rows, g.rsB, 0, g.M, p * NR, nr, kc, load, last);
            continue;
          }
          packB(g, tile, pc, kc, p * NR, nr, Bp);
          sweepPanel(g, tile, Ap, Bp, NR, 0, g.M, p * NR, nr, kc, load, last);
        }
      };
      if (threads > 1 && panels > 1) pool->parallelFor(panels, 4, sweep);
      else sweep(0, panels);
    }
    return;
  }
  // Row blocks of equal height, as many as a multiple of the threads: M = 256 in blocks of MC = 168 left a
  // 168-row and an 88-row block, so at 2 threads one thread ran 66% of a product split by rows alone (LeNet-5's
  // dense 120 -> 84 and 84 -> 10 at batch 256), and 400 -> 120 split the columns too, into four uneven tasks.
  // The height stays a multiple of the tile's and at most MC; the K blocks and the order of every output's sums
  // are those of MC, so results are unchanged; one thread keeps MC. Zen 5, LeNet-5's dense layers at batch 256
  // through the addon (MatMul + finish, wall median of 61 calls, one process per build, 5 interleaved rounds
  // under chrt -f 10, load 20-22), 2 threads, 400 -> 120 / 120 -> 84 / 84 -> 10 ms: avx2 0.215-0.221 /
  // 0.054-0.059 / 0.013-0.014 -> 0.176-0.183 / 0.046-0.048 / 0.013; avx512 0.130-0.139 / 0.037-0.040 / 0.010-0.012
  // -> 0.120-0.122 / 0.033-0.035 / 0.010-0.011; 1 thread unchanged (4 rounds: 0.289-0.302 against 0.282-0.295 on avx2).
  int64_t rowBlock = MC;
  if (threads > 1) {
    const int64_t even = ((g.M + MC - 1) / MC + threads - 1) / threads * threads;
    rowBlock = std::min(MC, ((g.M + even - 1) / even + MR - 1) / MR * MR);
  }
  const int64_t ncMax = std::min(NC, (g.N + NR - 1) / NR * NR);
  float* Bp = tlsB.get(static_cast<size_t>(kcMax * ncMax));
  for (int64_t jc = 0; jc < g.N; jc += NC) {
    const int64_t nc = std::min(NC, g.N - jc);
    const int64_t panels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < g.K; pc += KC) {
      const int64_t kc = std::min(KC, g.K - pc);
      const bool load = g.accumulate || pc > 0;
      const bool last = pc + kc >= g.K;
      if (threads > 1 && panels > 1) {
        pool->parallelFor(panels, 4, [&](int64_t b, int64_t e) {
          for (int64_t p = b; p < e; p++) packB(g, tile, pc, kc, jc + p * NR, std::min<int64_t>(NR, nc - p * NR), Bp + p * kc * NR);
        });
      } else {
        for (int64_t p = 0; p < panels; p++) packB(g, tile, pc, kc, jc + p * NR, std::min<int64_t>(NR, nc - p * NR), Bp + p * kc * NR);
      }
      const int64_t blocks = (g.M + rowBlock - 1) / rowBlock;
      // A B block that stays in L2 (a few panels: long-K products such as the pointwise filter gradient,
      // dy (M = output channels) x image^T (N = input channels), K = positions) is swept by one packed A
      // panel at a time, packed right before its sweep while the next panel's rows are prefetched, so that
      // reading A from memory (3 MB of dy an image there) overlaps the multiply-adds instead of stalling a
      // pack of the whole block: 8x64x56x56 1x1 -> 256 filter gradient 2-3% less CPU time (AVX2, 1 thread,
      // 5 interleaved rounds at load ~5; the pack stays memory-bound).
      const bool panelByPanel = g.csA == 1 && kc * panels * NR * static_cast<int64_t>(sizeof(float)) <= (128 << 10);
      // Split the columns too when there are fewer row blocks than threads, keeping >= 4 panels a piece.
      int64_t split = 1;
      if (threads > 1 && blocks < 2 * threads) {
        split = std::max<int64_t>(1, std::min<int64_t>((2 * threads + blocks - 1) / blocks, panels / 4));
      }
      auto item = [&](int64_t t) {
        const int64_t b = t / split, s = t % split;
        const int64_t ic = b * rowBlock;
        const int64_t mc = std::min(rowBlock, g.M - ic);
        const int64_t p0 = panels * s / split, p1 = panels * (s + 1) / split;
        float* Ap = tlsA.get(static_cast<size_t>(((mc + MR - 1) / MR) * MR * kc));
        if (!panelByPanel) {
          packA(g, tile, ic, mc, pc, kc, Ap);
          macro(g, tile, Ap, Bp, ic, mc, jc, nc, kc, p0, p1, load, last);
          return;
        }
        for (int64_t i0 = ic; i0 < ic + mc; i0 += MR) {
          const int64_t rows = std::min<int64_t>(MR, ic + mc - i0);
          packA(g, tile, i0, rows, pc, kc, Ap);
          // The next panel's rows, a share before each micro-tile (a burst of all their lines at once
          // stalls on the cache's miss buffers).
          const int64_t nextRows = std::max<int64_t>(0, std::min<int64_t>(MR, g.M - i0 - MR));
          for (int64_t p = p0; p < p1; p++) {
            const int64_t r0 = nextRows * (p - p0) / (p1 - p0), r1 = nextRows * (p + 1 - p0) / (p1 - p0);
            prefetchRows(g, i0 + MR + r0, r1 - r0, pc, kc);
            macro(g, tile, Ap, Bp, i0, rows, jc, nc, kc, p, p + 1, load, last);
          }
        }
      };
      if (threads > 1 && blocks * split > 1) {
        pool->run(blocks * split, item);
      } else {
        for (int64_t t = 0; t < blocks * split; t++) item(t);
      }
    }
  }
}

}  // namespace sn
