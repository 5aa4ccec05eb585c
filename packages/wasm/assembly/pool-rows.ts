// Separable 2D pooling over one NCHW plane, shared by max and average pooling. A window reduction
// is a reduction over its rows followed by one over its columns, so each output row is made in two
// passes: a vertical pass folds the window's input rows into one padded row `v` (plain v128 loads,
// no shuffles, every input cell read once per window row), then a horizontal pass reduces `v`
// along the window columns, four outputs per v128 (stride 2 de-interleaves even and odd cells with
// shuffles). `v` carries the padding as real cells (-Infinity for max, 0 for sums) on both sides,
// so the horizontal pass has no edge cases; average divisors come from a per-column count table.
//
// The reduction is picked at compile time by a marker type (Binaryen would otherwise merge the
// variants into per-element selects): f32 = exact max (NaN wins, f32x4.max), i32 = fast max
// (f32x4.pmax, one instruction on x64, but it can drop a NaN), f64 = sum.
import { imax, imin } from './common';

/** Floats `v` needs beyond the last window cell: the widest over-read of the stride-2 loads. */
export const V_SLACK: i32 = 16;

// @ts-ignore: decorator
@inline function isSum<T>(): bool {
  return isFloat<T>() && sizeof<T>() == 8;
}

// @ts-ignore: decorator
@inline function vcomb<T>(a: v128, b: v128): v128 {
  if (isSum<T>()) return f32x4.add(a, b);
  return isFloat<T>() ? f32x4.max(a, b) : f32x4.pmax(a, b);
}

// @ts-ignore: decorator
@inline function scomb<T>(a: f32, b: f32): f32 {
  if (isSum<T>()) return a + b;
  return isFloat<T>() ? max<f32>(a, b) : (a > b ? a : b);
}

/** The cell value standing in for padding: ignored by the reduction. */
// @ts-ignore: decorator
@inline export function padValue<T>(): f32 {
  return isSum<T>() ? 0 : -Infinity;
}

// Scratch for `v` (src/runtime.ts poolRowFloats): pL cells before column 0, every cell a window
// reaches ((OW - 1) * sW + KW - pL after it), and V_SLACK.

/**
 * Fills the padding cells of `v` (which points at input column 0, with pL cells before it) for one
 * geometry; the vertical pass only writes columns [0, min(W, reach)), so they stay valid across
 * rows and planes.
 */
export function padV<T>(v: usize, W: i32, OW: i32, KW: i32, sW: i32, pL: i32): void {
  const reach = (OW - 1) * sW + KW - pL;
  const pad = padValue<T>();
  for (let i = -pL; i < 0; i++) store<f32>(v + (<isize>i << 2), pad);
  for (let i = imin(W, reach); i < reach + V_SLACK; i++) store<f32>(v + (<usize>i << 2), pad);
}

/**
 * v[w] = reduction over input rows [h0, h1) of x[row][w], for w in [0, wEnd). For the fast max
 * (T = i32) the result says whether some cell read may be a NaN: the three rows of
 * a column are summed, which is NaN whenever one of them is (and, rarely, when +Inf meets -Inf,
 * which only costs a redo on the exact path).
 */
export function vertical<T>(xp: usize, W: i32, h0: i32, h1: i32, wEnd: i32, v: usize): bool {
  let nan = i32x4.splat(0);
  const pitch = <usize>W << 2;
  const r0 = xp + <usize>h0 * pitch;
  const rows = h1 - h0;
  let w = 0;
  if (rows == 1) {
    for (; w + 4 <= wEnd; w += 4) {
      const o = <usize>w << 2;
      const a = v128.load(r0 + o);
      if (!isFloat<T>()) nan = v128.or(nan, f32x4.ne(a, a));
      v128.store(v + o, a);
    }
  } else if (rows == 2) {
    const r1 = r0 + pitch;
    for (; w + 4 <= wEnd; w += 4) {
      const o = <usize>w << 2;
      const a = v128.load(r0 + o), b = v128.load(r1 + o);
      if (!isFloat<T>()) {
        const s = f32x4.add(a, b);
        nan = v128.or(nan, f32x4.ne(s, s));
      }
      v128.store(v + o, vcomb<T>(a, b));
    }
  } else if (rows == 3) {
    const r1 = r0 + pitch, r2 = r1 + pitch;
    for (; w + 4 <= wEnd; w += 4) {
      const o = <usize>w << 2;
      const a = v128.load(r0 + o), b = v128.load(r1 + o), c = v128.load(r2 + o);
      if (!isFloat<T>()) {
        const s = f32x4.add(f32x4.add(a, b), c);
        nan = v128.or(nan, f32x4.ne(s, s));
      }
      v128.store(v + o, vcomb<T>(vcomb<T>(a, b), c));
    }
  } else {
    for (; w + 4 <= wEnd; w += 4) {
      const o = <usize>w << 2;
      let row = r0 + o;
      let m = v128.load(row);
      let s = m;
      for (let r = 1; r < rows; r++) {
        row += pitch;
        const a = v128.load(row);
        if (!isFloat<T>()) s = f32x4.add(s, a);
        m = vcomb<T>(m, a);
      }
      if (!isFloat<T>()) nan = v128.or(nan, f32x4.ne(s, s));
      v128.store(v + o, m);
    }
  }
  for (; w < wEnd; w++) {
    const o = <usize>w << 2;
    let row = r0 + o;
    let m = load<f32>(row);
    let s = m;
    for (let r = 1; r < rows; r++) {
      row += pitch;
      const a = load<f32>(row);
      s += a;
      m = scomb<T>(m, a);
    }
    if (!isFloat<T>() && s != s) nan = i32x4.splat(-1);
    store<f32>(v + o, m);
  }
  return v128.any_true(nan);
}

// @ts-ignore: decorator
@inline function finish<T>(m: v128, rowCount: f32, cnt: usize, ow: i32): v128 {
  // Average: divide by the window's cell count, rows x columns (PyTorch's divisor, see Pool2dPlan).
  if (isSum<T>()) return f32x4.div(m, f32x4.mul(f32x4.splat(rowCount), v128.load(cnt + (<usize>ow << 2))));
  return m;
}

/**
 * y[ow] = reduction over window columns of v, for ow in [0, OW). `cnt` (sums only) holds each
 * output column's cell count as f32, and `rowCount` the window's row count.
 */
export function horizontal<T>(v: usize, yr: usize, OW: i32, KW: i32, sW: i32, pL: i32, rowCount: f32, cnt: usize): void {
  let ow = 0;
  if (sW == 1) {
    for (; ow + 4 <= OW; ow += 4) {
      const base = v + (<isize>(ow - pL) << 2);
      let m = v128.load(base);
      for (let kw = 1; kw < KW; kw++) m = vcomb<T>(m, v128.load(base + (<usize>kw << 2)));
      v128.store(yr + (<usize>ow << 2), finish<T>(m, rowCount, cnt, ow));
    }
  } else if (sW == 2) {
    if (KW == 3) {
      for (; ow + 4 <= OW; ow += 4) {
        const base = v + (<isize>(2 * ow - pL) << 2);
        const a = v128.load(base), b = v128.load(base, 16);
        // x[2j + 2] for j = 0..3: the even cells shifted by one, with cell 8 taken from the next pair.
        const c = v128.load32_zero(base, 32);
        const e = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
        const o = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        const e2 = v128.shuffle<f32>(e, c, 1, 2, 3, 4);
        v128.store(yr + (<usize>ow << 2), finish<T>(vcomb<T>(vcomb<T>(e, o), e2), rowCount, cnt, ow));
      }
    } else {
      for (; ow + 4 <= OW; ow += 4) {
        const base = v + (<isize>(2 * ow - pL) << 2);
        let a = v128.load(base), b = v128.load(base, 16);
        let m = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
        if (KW > 1) m = vcomb<T>(m, v128.shuffle<f32>(a, b, 1, 3, 5, 7));
        for (let kw = 2; kw < KW; kw += 2) {
          const p = base + (<usize>kw << 2);
          a = v128.load(p);
          b = v128.load(p, 16);
          m = vcomb<T>(m, v128.shuffle<f32>(a, b, 0, 2, 4, 6));
          if (kw + 1 < KW) m = vcomb<T>(m, v128.shuffle<f32>(a, b, 1, 3, 5, 7));
        }
        v128.store(yr + (<usize>ow << 2), finish<T>(m, rowCount, cnt, ow));
      }
    }
  }
  for (; ow < OW; ow++) {
    const base = v + (<isize>(ow * sW - pL) << 2);
    let m = load<f32>(base);
    for (let kw = 1; kw < KW; kw++) m = scomb<T>(m, load<f32>(base + (<usize>kw << 2)));
    if (isSum<T>()) m /= rowCount * load<f32>(cnt + (<usize>ow << 2));
    store<f32>(yr + (<usize>ow << 2), m);
  }
}

/**
 * Pools one plane. `v` points at column 0 of a row buffer prepared by padV<T>. Returns whether the
 * fast max met a possible NaN (always false for the exact max and for sums).
 */
export function poolPlane<T>(
  xp: usize, yp: usize, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, sH: i32, sW: i32, pT: i32, pB: i32, pL: i32,
  cip: bool, v: usize, cnt: usize,
): bool {
  const wEnd = imin(W, (OW - 1) * sW + KW - pL);
  let nan = false;
  for (let oh = 0; oh < OH; oh++) {
    const hs = oh * sH - pT;
    const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
    if (vertical<T>(xp, W, h0, h1, wEnd, v)) nan = true;
    const rowCount = <f32>(cip ? imin(hs + KH, H + pB) - hs : h1 - h0);
    horizontal<T>(v, yp + (<usize>(oh * OW) << 2), OW, KW, sW, pL, rowCount, cnt);
  }
  return nan;
}
