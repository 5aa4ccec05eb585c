// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin and Gray 2016): each 2x2 output tile
// comes from a 4x4 input tile with 16 multiplies per (input, output) channel pair instead of 36.
// Per block of tiles the input transform V = B^T d B fills 16 GEMM B operands (one per transform
// position xi, planeFloats apart), the packed filter transforms U = G g G^T are the A operands, and each product
// M_xi = U_xi V_xi is folded straight into the output transform Y = A^T M A, kept as four
// accumulators (one per output cell of the tile). Four tiles side by side form one v128 lane group.
import { ACC, KC, MR, NR, gemmBlock, packA } from './gemm';
import { imin } from './common';

/** A^T of F(2, 3): rows are output cells, columns transform positions. */
// @ts-ignore: decorator
@inline function at(a: i32, i: i32): f32 {
  // [[1, 1, 1, 0], [0, 1, -1, -1]]
  if (a == 0) return i < 3 ? 1 : 0;
  return i == 0 ? 0 : i == 1 ? 1 : -1;
}

/** G of F(2, 3) applied to one filter row or column: the i-th of the four transformed values. */
// @ts-ignore: decorator
@inline function gRow(i: i32, g0: f32, g1: f32, g2: f32): f32 {
  if (i == 0) return g0;
  if (i == 1) return (g0 + g1 + g2) * 0.5;
  if (i == 2) return (g0 - g1 + g2) * 0.5;
  return g2;
}

/**
 * U_xi[co][ci] = (G g G^T)[i][j] for xi = 4i + j, packed as GEMM A panels per xi (uStride floats
 * apart), K blocks of KC. Units: xi. Scratch: Cout x Cin floats.
 */
export function winogradFilter(filter: usize, dst: usize, Cout: i32, Cin: i32, uStride: i32, xi0: i32, xi1: i32, scratch: usize): void {
  const mPad = ((Cout + MR - 1) / MR) * MR;
  for (let xi = xi0; xi < xi1; xi++) {
    const i = xi >> 2, j = xi & 3;
    for (let co = 0; co < Cout; co++) {
      for (let ci = 0; ci < Cin; ci++) {
        const g = filter + (<usize>((co * Cin + ci) * 9) << 2);
        // Row i of G g (three values), then its j-th transform along the columns.
        const t0 = gRow(i, load<f32>(g), load<f32>(g, 12), load<f32>(g, 24));
        const t1 = gRow(i, load<f32>(g, 4), load<f32>(g, 16), load<f32>(g, 28));
        const t2 = gRow(i, load<f32>(g, 8), load<f32>(g, 20), load<f32>(g, 32));
        store<f32>(scratch + (<usize>(co * Cin + ci) << 2), gRow(j, t0, t1, t2));
      }
    }
    const base = dst + (<usize>(xi * uStride) << 2);
    for (let k0 = 0; k0 < Cin; k0 += KC) {
      packA(base + (<usize>(mPad * k0) << 2), scratch, Cin, 1, Cout, k0, imin(KC, Cin - k0));
    }
  }
}

/**
 * Floats between consecutive transform planes (V: Cin rows, M or the output accumulators: Cout rows, ncp
 * columns each): the plane plus a 64-byte skew, so that planes of a multiple of 4 KiB (16 channels x 64
 * tiles is one) do not all fall into the same L1 sets.
 */
export function planeFloats(rows: i32, ncp: i32): i32 {
  return rows * ncp + 16;
}

// @ts-ignore: decorator
@inline function colMask(bw: i32, c: i32, W: i32): v128 {
  // Lanes are tiles tw..tw+3; tile l reads input column bw + 2l + c.
  const iw = i32x4.add(i32x4.splat(bw + c), i32x4(0, 2, 4, 6));
  return v128.and(i32x4.gt_s(iw, i32x4.splat(-1)), i32x4.lt_s(iw, i32x4.splat(W)));
}

/**
 * Input transform of tiles [t0, t0 + nt) (nt a multiple of 4) into V: per xi, Cin x ncp floats as
 * GEMM B panels, K blocks of KC (block k0 at k0 * ncp). Tiles count across images, TWp (a multiple
 * of 4) per tile row. Cells outside the input are zero; lanes are masked, so loads may reach one
 * float before a row and a few past it (the allocator's guard).
 */
export function winogradInput(
  x: usize, v: usize, Cin: i32, H: i32, W: i32, TH: i32, TWp: i32, pT: i32, pL: i32, t0: i32, nt: i32, ncp: i32,
): void {
  const vs = planeFloats(Cin, ncp);
  const z = f32x4.splat(0);
  const tpi = TH * TWp;
  for (let tl = 0; tl < nt; tl += 4) {
    const t = t0 + tl;
    const n = t / tpi;
    const r = t - n * tpi;
    const th = r / TWp;
    const tw = r - th * TWp;
    const bw = 2 * tw - pL;
    const m0 = colMask(bw, 0, W), m1 = colMask(bw, 1, W), m2 = colMask(bw, 2, W), m3 = colMask(bw, 3, W);
    const ih0 = 2 * th - pT;
    for (let ci = 0; ci < Cin; ci++) {
      const plane = x + (<usize>((n * Cin + ci) * H * W) << 2);
      // d[r][c]: four tiles' cell (r, c) as one v128.
      let d00 = z, d01 = z, d02 = z, d03 = z, d10 = z, d11 = z, d12 = z, d13 = z;
      let d20 = z, d21 = z, d22 = z, d23 = z, d30 = z, d31 = z, d32 = z, d33 = z;
      for (let rr = 0; rr < 4; rr++) {
        const ih = ih0 + rr;
        if (<u32>ih >= <u32>H) continue;
        const p = plane + (<usize>(ih * W) << 2) + (<isize>bw << 2);
        const a = v128.load(p), b = v128.load(p, 16), a2 = v128.load(p, 8), b2 = v128.load(p, 24);
        const c0 = v128.and(v128.shuffle<f32>(a, b, 0, 2, 4, 6), m0);
        const c1 = v128.and(v128.shuffle<f32>(a, b, 1, 3, 5, 7), m1);
        const c2 = v128.and(v128.shuffle<f32>(a2, b2, 0, 2, 4, 6), m2);
        const c3 = v128.and(v128.shuffle<f32>(a2, b2, 1, 3, 5, 7), m3);
        if (rr == 0) { d00 = c0; d01 = c1; d02 = c2; d03 = c3; }
        else if (rr == 1) { d10 = c0; d11 = c1; d12 = c2; d13 = c3; }
        else if (rr == 2) { d20 = c0; d21 = c1; d22 = c2; d23 = c3; }
        else { d30 = c0; d31 = c1; d32 = c2; d33 = c3; }
      }
      // B^T d: rows.
      const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21), t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
      const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21), t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
      const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11), t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
      const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31), t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
      // (B^T d) B: columns, stored at V_xi row ci.
      const k0 = (ci / KC) * KC;
      const kc = imin(KC, Cin - k0);
      const o = v + (<usize>(k0 * ncp + (tl >> 3) * kc * NR + (ci - k0) * NR + (tl & 7)) << 2);
      const step = <usize>vs << 2;
      v128.store(o, f32x4.sub(t00, t02)); v128.store(o + step, f32x4.add(t01, t02));
      v128.store(o + 2 * step, f32x4.sub(t02, t01)); v128.store(o + 3 * step, f32x4.sub(t01, t03));
      v128.store(o + 4 * step, f32x4.sub(t10, t12)); v128.store(o + 5 * step, f32x4.add(t11, t12));
      v128.store(o + 6 * step, f32x4.sub(t12, t11)); v128.store(o + 7 * step, f32x4.sub(t11, t13));
      v128.store(o + 8 * step, f32x4.sub(t20, t22)); v128.store(o + 9 * step, f32x4.add(t21, t22));
      v128.store(o + 10 * step, f32x4.sub(t22, t21)); v128.store(o + 11 * step, f32x4.sub(t21, t23));
      v128.store(o + 12 * step, f32x4.sub(t30, t32)); v128.store(o + 13 * step, f32x4.add(t31, t32));
      v128.store(o + 14 * step, f32x4.sub(t32, t31)); v128.store(o + 15 * step, f32x4.sub(t31, t33));
    }
  }
  // A half-filled last panel: zero its other four columns in every row of every xi.
  if ((nt & 7) != 0) {
    for (let xi = 0; xi < 16; xi++) {
      for (let ci = 0; ci < Cin; ci++) {
        const k0 = (ci / KC) * KC;
        const kc = imin(KC, Cin - k0);
        const o = v + (<usize>(xi * vs + k0 * ncp + (nt >> 3) * kc * NR + (ci - k0) * NR + 4) << 2);
        v128.store(o, z);
      }
    }
  }
}

/**
 * Y_ab (+)= sum over xi of A^T[a][i] A^T[b][j] M_xi, for the tiles of one block: the GEMMs of the 16
 * transform positions, each folded into the four output-cell accumulators (yacc: 4 planes of Cout x ncp, planeFloats apart).
 */
export function winogradMultiply(
  upk: usize, uStride: i32, v: usize, m: usize, yacc: usize, Cout: i32, Cin: i32, nt: i32, ncp: i32, tile: usize,
): void {
  const mPad = ((Cout + MR - 1) / MR) * MR;
  const plane = planeFloats(Cout, ncp);
  const vs = planeFloats(Cin, ncp);
  for (let xi = 0; xi < 16; xi++) {
    const i = xi >> 2, j = xi & 3;
    for (let k0 = 0; k0 < Cin; k0 += KC) {
      const kc = imin(KC, Cin - k0);
      gemmBlock(Cout, nt, kc, upk + (<usize>(xi * uStride + mPad * k0) << 2), v + (<usize>(xi * vs + k0 * ncp) << 2), m, ncp, k0 > 0 ? ACC : 0, 0, tile, kc * NR);
    }
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) {
        const w = at(a, i) * at(b, j);
        if (w == 0) continue;
        const dst = yacc + (<usize>((a * 2 + b) * plane) << 2);
        // The first contribution to a cell (xi = (a, b)) has weight 1 and sets it. Columns past nt
        // are never read (and hold no data worth adding).
        const first = xi == (a == 0 ? 0 : 4) + (b == 0 ? 0 : 1);
        for (let co = 0; co < Cout; co++) {
          const d = dst + (<usize>(co * ncp) << 2);
          const s = m + (<usize>(co * ncp) << 2);
          if (first) {
            memory.copy(d, s, <usize>nt << 2);
          } else if (w > 0) {
            for (let q = 0; q < nt; q += 4) {
              const o = <usize>q << 2;
              v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
            }
          } else {
            for (let q = 0; q < nt; q += 4) {
              const o = <usize>q << 2;
              v128.store(d + o, f32x4.sub(v128.load(d + o), v128.load(s + o)));
            }
          }
        }
      }
    }
  }
}

/** The first cnt floats at p (at most 4 read; none when cnt <= 0), the other lanes 0. */
export function loadFirst(p: usize, cnt: i32): v128 {
  let v = f32x4.splat(0);
  if (cnt > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (cnt > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (cnt > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  if (cnt > 3) v = f32x4.replace_lane(v, 3, load<f32>(p, 12));
  return v;
}

/** Writes the block's 2x2 output tiles (plus bias, residual of y's layout (0 = none), relu) to NCHW y, clipped at the output's edges. */
export function winogradOutput(
  yacc: usize, y: usize, bias: usize, res: usize, relu: bool, Cout: i32, OH: i32, OW: i32, TH: i32, TWp: i32, t0: i32, nt: i32, ncp: i32,
): void {
  const plane = planeFloats(Cout, ncp);
  const tpi = TH * TWp;
  const zero = f32x4.splat(0);
  for (let tl = 0; tl < nt; tl += 4) {
    const t = t0 + tl;
    const n = t / tpi;
    const r = t - n * tpi;
    const th = r / TWp;
    const tw = r - th * TWp;
    const oh = 2 * th, ow = 2 * tw;
    if (ow >= OW) continue;
    const full = ow + 8 <= OW;
    for (let co = 0; co < Cout; co++) {
      const src = yacc + (<usize>(co * ncp + tl) << 2);
      const bv = bias != 0 ? v128.load32_splat(bias + (<usize>co << 2)) : zero;
      const at = <usize>(((n * Cout + co) * OH + oh) * OW + ow) << 2;
      const out = y + at;
      for (let a = 0; a < 2; a++) {
        if (oh + a >= OH) break;
        const c0 = f32x4.add(v128.load(src + (<usize>(a * 2 * plane) << 2)), bv);
        const c1 = f32x4.add(v128.load(src + (<usize>((a * 2 + 1) * plane) << 2)), bv);
        let lo = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5);
        let hi = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7);
        if (res != 0) {
          const rrow = res + at + (<usize>(a * OW) << 2);
          lo = f32x4.add(lo, full ? v128.load(rrow) : loadFirst(rrow, OW - ow));
          hi = f32x4.add(hi, full ? v128.load(rrow, 16) : loadFirst(rrow + 16, OW - ow - 4));
        }
        if (relu) {
          lo = f32x4.max(lo, zero);
          hi = f32x4.max(hi, zero);
        }
        const row = out + (<usize>(a * OW) << 2);
        if (full) {
          v128.store(row, lo);
          v128.store(row, hi, 16);
        } else {
          const cnt = OW - ow;
          store<f32>(row, f32x4.extract_lane(lo, 0));
          if (cnt > 1) store<f32>(row, f32x4.extract_lane(lo, 1), 4);
          if (cnt > 2) store<f32>(row, f32x4.extract_lane(lo, 2), 8);
          if (cnt > 3) store<f32>(row, f32x4.extract_lane(lo, 3), 12);
          if (cnt > 4) store<f32>(row, f32x4.extract_lane(hi, 0), 16);
          if (cnt > 5) store<f32>(row, f32x4.extract_lane(hi, 1), 20);
          if (cnt > 6) store<f32>(row, f32x4.extract_lane(hi, 2), 24);
        }
      }
    }
  }
}
