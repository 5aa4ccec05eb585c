// Winograd F(4x4, 3x3) (Lavin and Gray 2016, points 0, +-1, +-2): each 4x4 output tile comes from a
// 6x6 input tile with 36 multiplies per (input, output) channel pair instead of 144, against 64 per
// 16 outputs for F(2x2, 3x3). Its transforms have larger coefficients, so float32 results stray
// further from the exact sum (a few 1e-6 of the largest output against about 2e-7); the backend uses
// it only for filters core marked constant (compiled models), whose transforms are made once.
// Per block of tiles: the input transform V = B^T d B fills 36 GEMM B operands (one per transform
// position xi = 6i + j), the GEMMs M_xi = U_xi V_xi write 36 product planes, and the output
// transform Y = A^T M A reads them back per tile. Four horizontally adjacent tiles form one v128 lane group.
import { ACC, KC, MR, NR, gemmBlock, packA } from './gemm';
import { imin } from './common';
import { loadFirst, planeFloats } from './winograd';

/** Row i of G (6 x 3) applied to (g0, g1, g2), in float64. */
// @ts-ignore: decorator
@inline function gRow(i: i32, g0: f64, g1: f64, g2: f64): f64 {
  if (i == 0) return g0 * 0.25;
  if (i == 1) return -(g0 + g1 + g2) / 6;
  if (i == 2) return -(g0 - g1 + g2) / 6;
  if (i == 3) return g0 / 24 + g1 / 12 + g2 / 6;
  if (i == 4) return g0 / 24 - g1 / 12 + g2 / 6;
  return g2;
}

/**
 * U_xi[co][ci] = (G g G^T)[i][j] for xi = 6i + j (computed in float64, rounded once), packed as GEMM A
 * panels per xi (uStride floats apart), K blocks of KC. Units: xi (36). Scratch: Cout x Cin floats.
 */
export function winograd4Filter(filter: usize, dst: usize, Cout: i32, Cin: i32, uStride: i32, xi0: i32, xi1: i32, scratch: usize): void {
  const mPad = ((Cout + MR - 1) / MR) * MR;
  for (let xi = xi0; xi < xi1; xi++) {
    const i = xi / 6, j = xi - 6 * (xi / 6);
    for (let co = 0; co < Cout; co++) {
      for (let ci = 0; ci < Cin; ci++) {
        const g = filter + (<usize>((co * Cin + ci) * 9) << 2);
        const t0 = gRow(i, <f64>load<f32>(g), <f64>load<f32>(g, 12), <f64>load<f32>(g, 24));
        const t1 = gRow(i, <f64>load<f32>(g, 4), <f64>load<f32>(g, 16), <f64>load<f32>(g, 28));
        const t2 = gRow(i, <f64>load<f32>(g, 8), <f64>load<f32>(g, 20), <f64>load<f32>(g, 32));
        store<f32>(scratch + (<usize>(co * Cin + ci) << 2), <f32>gRow(j, t0, t1, t2));
      }
    }
    const base = dst + (<usize>(xi * uStride) << 2);
    for (let k0 = 0; k0 < Cin; k0 += KC) {
      packA(base + (<usize>(mPad * k0) << 2), scratch, Cin, 1, Cout, k0, imin(KC, Cin - k0));
    }
  }
}

/** B^T (6 x 6) applied to d0..d5 (in registers), written at stride `t` bytes from `dst`. */
// @ts-ignore: decorator
@inline function transform6(dst: usize, t: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  const a = f32x4.add(d3, d4), b = f32x4.add(d1, d2), c = f32x4.sub(d4, d3), e = f32x4.sub(d1, d2);
  const f = f32x4.sub(d4, d2), g = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(dst + t, f32x4.sub(a, f32x4.mul(four, b)));
  v128.store(dst + 2 * t, f32x4.add(c, f32x4.mul(four, e)));
  v128.store(dst + 3 * t, f32x4.add(f, g));
  v128.store(dst + 4 * t, f32x4.sub(f, g));
  v128.store(dst + 5 * t, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** transform6 of the six vectors at stride `s` bytes from `src`, written at stride `t` bytes from `dst` (may be src). */
// @ts-ignore: decorator
@inline function inputRows(src: usize, s: usize, dst: usize, t: usize): void {
  transform6(dst, t, v128.load(src), v128.load(src + s), v128.load(src + 2 * s), v128.load(src + 3 * s), v128.load(src + 4 * s), v128.load(src + 5 * s));
}

// @ts-ignore: decorator
@inline function colMask(bw: i32, c: i32, W: i32): v128 {
  // Lanes are tiles tw..tw+3; tile l reads input column bw + 4l + c.
  const iw = i32x4.add(i32x4.splat(bw + c), i32x4(0, 4, 8, 12));
  return v128.and(i32x4.gt_s(iw, i32x4.splat(-1)), i32x4.lt_s(iw, i32x4.splat(W)));
}

/** Bytes of per-thread temporary space the transforms need besides V, M and the GEMM edge tile. */
export const WINO4_TMP_BYTES: i32 = 72 * 16 + 64;

/**
 * Where each lane of the group of four tiles starting at flat tile t (of `total`; TW tiles per tile row,
 * TH tile rows per image) reads and writes, at `lanes` (16 i32s): image, first row, first column, and
 * 0 for a lane past the last tile. True when all four share one tile row (the contiguous paths apply).
 */
function laneTable(lanes: usize, t: i32, total: i32, TH: i32, TW: i32, pT: i32, pL: i32): bool {
  const tpi = TH * TW;
  for (let l = 0; l < 4; l++) {
    const tt = t + l;
    const n = tt / tpi;
    const r = tt - n * tpi;
    const th = r / TW;
    store<i32>(lanes + (<usize>l << 2), n);
    store<i32>(lanes + (<usize>(4 + l) << 2), 4 * th - pT);
    store<i32>(lanes + (<usize>(8 + l) << 2), 4 * (r - th * TW) - pL);
    store<i32>(lanes + (<usize>(12 + l) << 2), tt < total ? 1 : 0);
  }
  const r0 = t - (t / tpi) * tpi;
  return t + 3 < total && r0 / TW == (r0 + 3) / TW;
}

// @ts-ignore: decorator
@inline function laneI(lanes: usize, field: i32, l: i32): i32 {
  return load<i32>(lanes + (<usize>(4 * field + l) << 2));
}

/** 4x4 transpose rows: the first two of columns (v0[c], v1[c], v2[c], v3[c]) stored at dst, dst + 16 (all four when `all`). */
// @ts-ignore: decorator
@inline function storeColumns(dst: usize, v0: v128, v1: v128, v2: v128, v3: v128, all: bool): void {
  const s0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), s1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  v128.store(dst, v128.shuffle<f32>(s0, s1, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<f32>(s0, s1, 2, 3, 6, 7), 16);
  if (all) {
    const s2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), s3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
    v128.store(dst, v128.shuffle<f32>(s2, s3, 0, 1, 4, 5), 32);
    v128.store(dst, v128.shuffle<f32>(s2, s3, 2, 3, 6, 7), 48);
  }
}

/** Columns bw + c of one lane's row, c in [0, 8), masked to [0, W) (lo: c < 4, hi: c >= 4). */
// @ts-ignore: decorator
@inline function laneMask(bw: i32, hi: i32, W: i32): v128 {
  const iw = i32x4.add(i32x4.splat(bw + 4 * hi), i32x4(0, 1, 2, 3));
  return v128.and(i32x4.gt_s(iw, i32x4.splat(-1)), i32x4.lt_s(iw, i32x4.splat(W)));
}

/**
 * Input transform of tiles [t0, t0 + nt) (nt a multiple of 4) into V: per xi (planeFloats apart), Cin x ncp floats as GEMM B panels, K blocks of
 * KC (block k0 at k0 * ncp). Tiles count across images (TW per tile row, total in all). Cells outside
 * the input are zero; lanes are masked, so loads may reach one float before a row and up to 18 past it
 * (within the allocator's guard). `tmp`: WINO4_TMP_BYTES.
 */
export function winograd4Input(
  x: usize, v: usize, Cin: i32, H: i32, W: i32, TH: i32, TW: i32, total: i32, pT: i32, pL: i32, t0: i32, nt: i32, ncp: i32, tmp: usize,
): void {
  const vs = planeFloats(Cin, ncp);
  const z = f32x4.splat(0);
  const d = tmp; // 6 rows x 6 columns of four tiles' cells, each row transformed (d B)
  const lanes = tmp + 72 * 16;
  const plane = <usize>(H * W) << 2;
  for (let tl = 0; tl < nt; tl += 4) {
    const row1 = laneTable(lanes, t0 + tl, total, TH, TW, pT, pL);
    const bw = laneI(lanes, 2, 0);
    const m0 = colMask(bw, 0, W), m1 = colMask(bw, 1, W), m2 = colMask(bw, 2, W);
    const m3 = colMask(bw, 3, W), m4 = colMask(bw, 4, W), m5 = colMask(bw, 5, W);
    for (let ci = 0; ci < Cin; ci++) {
      if (row1) {
        const base = x + <usize>(laneI(lanes, 0, 0) * Cin + ci) * plane;
        const ih0 = laneI(lanes, 1, 0);
        for (let rr = 0; rr < 6; rr++) {
          const ih = ih0 + rr;
          const row = d + (<usize>(rr * 6) << 4);
          if (<u32>ih >= <u32>H) {
            for (let c = 0; c < 6; c++) v128.store(row + (<usize>c << 4), z);
            continue;
          }
          const p = base + (<usize>(ih * W) << 2) + (<isize>bw << 2);
          const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48), v4 = v128.load(p, 64);
          const s0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), s1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
          const s2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), s3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
          const c0 = v128.shuffle<f32>(s0, s1, 0, 1, 4, 5), c1 = v128.shuffle<f32>(s0, s1, 2, 3, 6, 7);
          transform6(
            row, 16, v128.and(c0, m0), v128.and(c1, m1), v128.and(v128.shuffle<f32>(s2, s3, 0, 1, 4, 5), m2),
            v128.and(v128.shuffle<f32>(s2, s3, 2, 3, 6, 7), m3), v128.and(v128.shuffle<f32>(c0, v4, 1, 2, 3, 4), m4),
            v128.and(v128.shuffle<f32>(c1, v4, 1, 2, 3, 5), m5),
          );
        }
      } else {
        gatherRows(x, d, lanes, Cin, ci, H, W, plane);
        for (let rr = 0; rr < 6; rr++) inputRows(d + (<usize>(rr * 6) << 4), 16, d + (<usize>(rr * 6) << 4), 16);
      }
      // B^T (d B): down each column j of the row transforms, stored at V_(6i + j) row ci.
      const k0 = (ci / KC) * KC;
      const kc = imin(KC, Cin - k0);
      const o = v + (<usize>(k0 * ncp + (tl >> 3) * kc * NR + (ci - k0) * NR + (tl & 7)) << 2);
      const step = <usize>vs << 2;
      for (let j = 0; j < 6; j++) inputRows(d + (<usize>j << 4), 96, o + <usize>j * step, 6 * step);
    }
  }
  // A half-filled last panel: zero its other four columns in every row of every xi.
  if ((nt & 7) != 0) {
    for (let xi = 0; xi < 36; xi++) {
      for (let ci = 0; ci < Cin; ci++) {
        const k0 = (ci / KC) * KC;
        const kc = imin(KC, Cin - k0);
        v128.store(v + (<usize>(xi * vs + k0 * ncp + (nt >> 3) * kc * NR + (ci - k0) * NR + 4) << 2), z);
      }
    }
  }
}

/** The 6 x 6 cells of channel ci of four tiles that do not share a tile row, each lane read on its own. */
function gatherRows(x: usize, d: usize, lanes: usize, Cin: i32, ci: i32, H: i32, W: i32, plane: usize): void {
  const z = f32x4.splat(0);
  const p0 = x + <usize>(laneI(lanes, 0, 0) * Cin + ci) * plane, p1 = x + <usize>(laneI(lanes, 0, 1) * Cin + ci) * plane;
  const p2 = x + <usize>(laneI(lanes, 0, 2) * Cin + ci) * plane, p3 = x + <usize>(laneI(lanes, 0, 3) * Cin + ci) * plane;
  const b0 = laneI(lanes, 2, 0), b1 = laneI(lanes, 2, 1), b2 = laneI(lanes, 2, 2), b3 = laneI(lanes, 2, 3);
  const lo0 = laneMask(b0, 0, W), lo1 = laneMask(b1, 0, W), lo2 = laneMask(b2, 0, W), lo3 = laneMask(b3, 0, W);
  const hi0 = laneMask(b0, 1, W), hi1 = laneMask(b1, 1, W), hi2 = laneMask(b2, 1, W), hi3 = laneMask(b3, 1, W);
  for (let rr = 0; rr < 6; rr++) {
    let a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
    let ih = laneI(lanes, 1, 0) + rr;
    if (laneI(lanes, 3, 0) != 0 && <u32>ih < <u32>H) {
      const p = p0 + (<usize>(ih * W) << 2) + (<isize>b0 << 2);
      a0 = v128.and(v128.load(p), lo0); c0 = v128.and(v128.load(p, 16), hi0);
    }
    ih = laneI(lanes, 1, 1) + rr;
    if (laneI(lanes, 3, 1) != 0 && <u32>ih < <u32>H) {
      const p = p1 + (<usize>(ih * W) << 2) + (<isize>b1 << 2);
      a1 = v128.and(v128.load(p), lo1); c1 = v128.and(v128.load(p, 16), hi1);
    }
    ih = laneI(lanes, 1, 2) + rr;
    if (laneI(lanes, 3, 2) != 0 && <u32>ih < <u32>H) {
      const p = p2 + (<usize>(ih * W) << 2) + (<isize>b2 << 2);
      a2 = v128.and(v128.load(p), lo2); c2 = v128.and(v128.load(p, 16), hi2);
    }
    ih = laneI(lanes, 1, 3) + rr;
    if (laneI(lanes, 3, 3) != 0 && <u32>ih < <u32>H) {
      const p = p3 + (<usize>(ih * W) << 2) + (<isize>b3 << 2);
      a3 = v128.and(v128.load(p), lo3); c3 = v128.and(v128.load(p, 16), hi3);
    }
    const row = d + (<usize>(rr * 6) << 4);
    storeColumns(row, a0, a1, a2, a3, true);
    storeColumns(row + 64, c0, c1, c2, c3, false);
  }
}

/** M_xi = U_xi V_xi for the 36 transform positions of one block (m: 36 planes of Cout x ncp, planeFloats apart). */
export function winograd4Multiply(upk: usize, uStride: i32, v: usize, m: usize, Cout: i32, Cin: i32, nt: i32, ncp: i32, tile: usize): void {
  const mPad = ((Cout + MR - 1) / MR) * MR;
  const vs = planeFloats(Cin, ncp);
  for (let xi = 0; xi < 36; xi++) {
    const c = m + (<usize>(xi * planeFloats(Cout, ncp)) << 2);
    for (let k0 = 0; k0 < Cin; k0 += KC) {
      const kc = imin(KC, Cin - k0);
      gemmBlock(Cout, nt, kc, upk + (<usize>(xi * uStride + mPad * k0) << 2), v + (<usize>(xi * vs + k0 * ncp) << 2), c, ncp, k0 > 0 ? ACC : 0, 0, tile, kc * NR);
    }
  }
}

/** A^T (4 x 6) applied to m0..m5 at stride `s` bytes from `src`, written at stride `t` bytes from `dst`. */
// @ts-ignore: decorator
@inline function outputRows(src: usize, s: usize, dst: usize, t: usize): void {
  const m0 = v128.load(src), m1 = v128.load(src + s), m2 = v128.load(src + 2 * s);
  const m3 = v128.load(src + 3 * s), m4 = v128.load(src + 4 * s), m5 = v128.load(src + 5 * s);
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, a), c));
  v128.store(dst + t, f32x4.add(b, f32x4.mul(f32x4.splat(2), e)));
  v128.store(dst + 2 * t, f32x4.add(a, f32x4.mul(f32x4.splat(4), c)));
  v128.store(dst + 3 * t, f32x4.add(f32x4.add(b, f32x4.mul(f32x4.splat(8), e)), m5));
}

/** Writes one tile's output row (4 cells, fewer at the right edge: cnt) plus residual and relu. */
// @ts-ignore: decorator
@inline function storeRow(out: usize, res: usize, val: v128, cnt: i32, relu: bool): void {
  let r = val;
  if (res != 0) r = f32x4.add(r, cnt >= 4 ? v128.load(res) : loadFirst(res, cnt));
  if (relu) r = f32x4.max(r, f32x4.splat(0));
  if (cnt >= 4) {
    v128.store(out, r);
  } else {
    store<f32>(out, f32x4.extract_lane(r, 0));
    if (cnt > 1) store<f32>(out, f32x4.extract_lane(r, 1), 4);
    if (cnt > 2) store<f32>(out, f32x4.extract_lane(r, 2), 8);
  }
}

/** Writes four tiles' cells of one output row (r_l: tile l's four cells) plus residual and relu, 16 floats in a row. */
// @ts-ignore: decorator
@inline function storeRun(out: usize, res: usize, r0: v128, r1: v128, r2: v128, r3: v128, relu: bool): void {
  let a = r0, b = r1, c = r2, d = r3;
  if (res != 0) {
    a = f32x4.add(a, v128.load(res)); b = f32x4.add(b, v128.load(res, 16));
    c = f32x4.add(c, v128.load(res, 32)); d = f32x4.add(d, v128.load(res, 48));
  }
  if (relu) {
    const z = f32x4.splat(0);
    a = f32x4.max(a, z); b = f32x4.max(b, z); c = f32x4.max(c, z); d = f32x4.max(d, z);
  }
  v128.store(out, a); v128.store(out, b, 16); v128.store(out, c, 32); v128.store(out, d, 48);
}

/** Output transform of the block's tiles (plus bias, residual of y's layout (0 = none), relu) to NCHW y, clipped at the output's edges. */
export function winograd4Output(
  m: usize, y: usize, bias: usize, res: usize, relu: bool, Cout: i32, OH: i32, OW: i32, TH: i32, TW: i32, total: i32, t0: i32, nt: i32, ncp: i32, tmp: usize,
): void {
  const plane = <usize>planeFloats(Cout, ncp) << 2;
  const s = tmp; // A^T M: 4 rows x 6 columns
  const lanes = tmp + 72 * 16;
  for (let tl = 0; tl < nt; tl += 4) {
    // Four whole tiles side by side: each output row is 16 floats in a row.
    const run = laneTable(lanes, t0 + tl, total, TH, TW, 0, 0) && laneI(lanes, 2, 0) + 16 <= OW && laneI(lanes, 1, 0) + 4 <= OH;
    for (let co = 0; co < Cout; co++) {
      const src = m + (<usize>(co * ncp + tl) << 2);
      for (let j = 0; j < 6; j++) outputRows(src + <usize>j * plane, 6 * plane, s + (<usize>j << 4), 96);
      const bv = bias != 0 ? v128.load32_splat(bias + (<usize>co << 2)) : f32x4.splat(0);
      for (let a = 0; a < 4; a++) {
        // A^T along row a of s, plus the bias: q_b holds cell (a, b) of the four tiles.
        const p = s + (<usize>(a * 6) << 4);
        const m0 = v128.load(p), m1 = v128.load(p, 16), m2 = v128.load(p, 32), m3 = v128.load(p, 48), m4 = v128.load(p, 64), m5 = v128.load(p, 80);
        const ab = f32x4.add(m1, m2), bb = f32x4.sub(m1, m2), cb = f32x4.add(m3, m4), eb = f32x4.sub(m3, m4);
        const q0 = f32x4.add(f32x4.add(f32x4.add(m0, ab), cb), bv);
        const q1 = f32x4.add(f32x4.add(bb, f32x4.mul(f32x4.splat(2), eb)), bv);
        const q2 = f32x4.add(f32x4.add(ab, f32x4.mul(f32x4.splat(4), cb)), bv);
        const q3 = f32x4.add(f32x4.add(f32x4.add(bb, f32x4.mul(f32x4.splat(8), eb)), m5), bv);
        // Lanes are tiles: transpose so each vector is one tile's four cells of this row.
        const s0 = v128.shuffle<f32>(q0, q1, 0, 4, 1, 5), s1 = v128.shuffle<f32>(q2, q3, 0, 4, 1, 5);
        const s2 = v128.shuffle<f32>(q0, q1, 2, 6, 3, 7), s3 = v128.shuffle<f32>(q2, q3, 2, 6, 3, 7);
        const r0 = v128.shuffle<f32>(s0, s1, 0, 1, 4, 5), r1 = v128.shuffle<f32>(s0, s1, 2, 3, 6, 7);
        const r2 = v128.shuffle<f32>(s2, s3, 0, 1, 4, 5), r3 = v128.shuffle<f32>(s2, s3, 2, 3, 6, 7);
        if (run) {
          const at = <usize>(((laneI(lanes, 0, 0) * Cout + co) * OH + laneI(lanes, 1, 0) + a) * OW + laneI(lanes, 2, 0)) << 2;
          storeRun(y + at, res != 0 ? res + at : 0, r0, r1, r2, r3, relu);
          continue;
        }
        for (let l = 0; l < 4; l++) {
          const oh = laneI(lanes, 1, l) + a, c0 = laneI(lanes, 2, l);
          if (laneI(lanes, 3, l) == 0 || oh >= OH || c0 >= OW) continue;
          const at = <usize>(((laneI(lanes, 0, l) * Cout + co) * OH + oh) * OW + c0) << 2;
          storeRow(y + at, res != 0 ? res + at : 0, l == 0 ? r0 : l == 1 ? r1 : l == 2 ? r2 : r3, OW - c0, relu);
        }
      }
    }
  }
}
