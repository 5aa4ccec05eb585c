// Packed GEMM: C[M, N] (+)= A[M, K] * B[K, N] with A packed in MR-row panels and B in NR-column
// panels, so the micro-kernel streams both with unit stride and keeps a 4x8 tile of C in eight
// v128 registers. Callers block K by KC so one B micro-panel (KC x NR) stays in L1 while the A block
// (M x KC) is reused from L2 across every panel of the column block.
import { imin } from './common';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;

export const ACC: i32 = 1; // accumulate into C (later K blocks)
export const RELU: i32 = 2; // clamp at zero on store (last K block)

/** Packs rows [0, M) x columns [k0, k0 + kc) of a strided matrix into ceil(M / MR) panels of kc x MR. */
export function packA(dst: usize, src: usize, rs: i32, cs: i32, M: i32, k0: i32, kc: i32): void {
  const panels = (M + MR - 1) / MR;
  for (let ip = 0; ip < panels; ip++) {
    const m0 = ip * MR;
    let d = dst + (<usize>(ip * kc * MR) << 2);
    if (m0 + MR <= M) {
      const r0 = src + (<usize>(m0 * rs + k0 * cs) << 2);
      const r1 = r0 + (<usize>rs << 2);
      const r2 = r1 + (<usize>rs << 2);
      const r3 = r2 + (<usize>rs << 2);
      for (let p = 0; p < kc; p++) {
        const o = <usize>(p * cs) << 2;
        store<f32>(d, load<f32>(r0 + o));
        store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8);
        store<f32>(d, load<f32>(r3 + o), 12);
        d += 16;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) {
          const m = m0 + ii;
          store<f32>(d, m < M ? load<f32>(src + (<usize>(m * rs + (k0 + p) * cs) << 2)) : 0);
          d += 4;
        }
      }
    }
  }
}

/** Packs rows [k0, k0 + kc) x columns [n0, n0 + nc) of a strided matrix into ceil(nc / NR) panels of kc x NR. */
export function packB(dst: usize, src: usize, rs: i32, cs: i32, k0: i32, kc: i32, n0: i32, nc: i32): void {
  const panels = (nc + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = n0 + jp * NR;
    const nr = imin(NR, nc - jp * NR);
    let d = dst + (<usize>(jp * kc * NR) << 2);
    if (cs == 1 && nr == NR) {
      let s = src + (<usize>(k0 * rs + j0) << 2);
      const step = <usize>rs << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += step;
        d += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const row = src + (<usize>((k0 + p) * rs) << 2);
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(d, jj < nr ? load<f32>(row + (<usize>((j0 + jj) * cs) << 2)) : 0);
          d += 4;
        }
      }
    }
  }
}

/**
 * The 4x8 micro-kernel. `c` is the tile's top-left, `ldcBytes` the row pitch in bytes. Without ACC
 * the accumulators start at the per-row bias (or zero).
 */
// @ts-ignore: decorator
@inline function micro(kc: i32, a: usize, b: usize, c: usize, ldcBytes: usize, flags: i32, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  const c1 = c + ldcBytes;
  const c2 = c1 + ldcBytes;
  const c3 = c2 + ldcBytes;
  if (flags & ACC) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  } else if (bias != 0) {
    c00 = v128.load32_splat(bias); c01 = c00;
    c10 = v128.load32_splat(bias, 4); c11 = c10;
    c20 = v128.load32_splat(bias, 8); c21 = c20;
    c30 = v128.load32_splat(bias, 12); c31 = c30;
  } else {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += 16;
    b += 32;
  }
  if (flags & RELU) {
    // max(x, 0) keeps NaN as NaN, matching PyTorch's relu.
    const z = f32x4.splat(0);
    c00 = f32x4.max(c00, z); c01 = f32x4.max(c01, z);
    c10 = f32x4.max(c10, z); c11 = f32x4.max(c11, z);
    c20 = f32x4.max(c20, z); c21 = f32x4.max(c21, z);
    c30 = f32x4.max(c30, z); c31 = f32x4.max(c31, z);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

export const TILE_FLOATS: i32 = MR * NR + MR;

/**
 * C[0..M, 0..nc] (+)= Apk * Bpk for one K block. `biasRow` (per row of C, 0 for none) is added
 * when not accumulating. `tile` is TILE_FLOATS of scratch for ragged edges. `bStride` is the
 * distance in floats between B panels: kc * NR as packB lays them out, more where a packer keeps
 * a spare row per panel.
 */
export function gemmBlock(
  M: i32, nc: i32, kc: i32, apk: usize, bpk: usize, c: usize, ldc: i32, flags: i32, biasRow: usize, tile: usize, bStride: i32,
): void {
  const mPanels = (M + MR - 1) / MR;
  const nPanels = (nc + NR - 1) / NR;
  const ldcBytes = <usize>ldc << 2;
  const tileBias = tile + (<usize>(MR * NR) << 2);
  for (let jp = 0; jp < nPanels; jp++) {
    const nr = imin(NR, nc - jp * NR);
    const b = bpk + (<usize>(jp * bStride) << 2);
    for (let ip = 0; ip < mPanels; ip++) {
      const mr = imin(MR, M - ip * MR);
      const a = apk + (<usize>(ip * kc * MR) << 2);
      const cp = c + <usize>(ip * MR) * ldcBytes + (<usize>(jp * NR) << 2);
      const bias = biasRow != 0 ? biasRow + (<usize>(ip * MR) << 2) : 0;
      if (mr == MR && nr == NR) {
        micro(kc, a, b, cp, ldcBytes, flags, bias);
      } else {
        for (let i = 0; i < MR; i++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(tile + (<usize>(i * NR + j) << 2), (flags & ACC) && i < mr && j < nr ? load<f32>(cp + <usize>i * ldcBytes + (<usize>j << 2)) : 0);
          }
          if (biasRow != 0) store<f32>(tileBias + (<usize>i << 2), i < mr ? load<f32>(bias + (<usize>i << 2)) : 0);
        }
        micro(kc, a, b, tile, <usize>(NR << 2), flags, biasRow != 0 ? tileBias : 0);
        for (let i = 0; i < mr; i++) {
          for (let j = 0; j < nr; j++) {
            store<f32>(cp + <usize>i * ldcBytes + (<usize>j << 2), load<f32>(tile + (<usize>(i * NR + j) << 2)));
          }
        }
      }
    }
  }
}
