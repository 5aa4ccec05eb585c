// Max pooling, one channel plane per work unit, vectorised along the output row: four outputs per
// v128, with stride-2 windows de-interleaved by shuffles. The plan wants NaN to win, which
// f32x4.max does but costs about eight instructions on x64; f32x4.pmax is one (maxps) but drops
// NaN. So each plane runs with pmax while OR-ing a NaN test of every cell it reads, and only a
// plane that held a NaN is redone on the exact path. Frame: 0 x, 1 y. Plan: POOL2D_ENCODING.
import { argP, planI, imax, imin } from '../common';

// Exact (NaN-propagating) or fast max, chosen at compile time by the marker type: Binaryen would
// otherwise merge two calls of one function into a per-element select of both.
// @ts-ignore: decorator
@inline function vmax<T>(a: v128, b: v128): v128 {
  return isFloat<T>() ? f32x4.max(a, b) : f32x4.pmax(a, b);
}
// @ts-ignore: decorator
@inline function smax<T>(a: f32, b: f32): f32 {
  return isFloat<T>() ? max<f32>(a, b) : (a > b ? a : b);
}

// @ts-ignore: decorator
@inline function even(p: usize): v128 {
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** T = f32: exact; T = i32: fast. */
function plane<T>(xp: usize, yp: usize, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, sH: i32, sW: i32, pT: i32, pL: i32): bool {
  let nan = i32x4.splat(0);
  let nanScalar = false;
  const simd = sW == 1 || sW == 2;
  const reach = (sW == 1 ? 3 : 7) + KW - 1;
  const owA = (pL + sW - 1) / sW;
  for (let oh = 0; oh < OH; oh++) {
    const hs = oh * sH - pT;
    const h0 = imax(hs, 0), h1 = imin(hs + KH, H);
    const yr = yp + (<usize>(oh * OW) << 2);
    let ow = 0;
    while (ow < OW) {
      const ws = ow * sW - pL;
      if (simd && ow >= owA && ow + 3 < OW && ws + reach < W) {
        let m = f32x4.splat(-Infinity);
        let row = xp + (<usize>(h0 * W + ws) << 2);
        const pitch = <usize>W << 2;
        if (sW == 1 && KW == 3) {
          for (let ih = h0; ih < h1; ih++, row += pitch) {
            // The row's maximum is independent of m, so rows overlap and only one max per row is serial.
            const a = v128.load(row), b = v128.load(row, 4), c = v128.load(row, 8);
            if (!isFloat<T>()) nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(c, c)));
            m = vmax<T>(vmax<T>(vmax<T>(a, b), c), m);
          }
        } else if (sW == 2 && KW == 3) {
          for (let ih = h0; ih < h1; ih++, row += pitch) {
            // Only lane 0 of c is used, and x[ws + 8] is the last cell the window reaches.
            const a = v128.load(row), b = v128.load(row, 16), c = v128.load32_zero(row, 32);
            if (!isFloat<T>()) nan = v128.or(nan, v128.or(v128.or(f32x4.ne(a, a), f32x4.ne(b, b)), f32x4.ne(c, c)));
            const r = vmax<T>(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
            m = vmax<T>(vmax<T>(r, v128.shuffle<f32>(v128.shuffle<f32>(a, b, 2, 4, 6, 7), c, 0, 1, 2, 4)), m);
          }
        } else if (sW == 2 && KW == 2) {
          for (let ih = h0; ih < h1; ih++, row += pitch) {
            const a = v128.load(row), b = v128.load(row, 16);
            if (!isFloat<T>()) nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
            m = vmax<T>(vmax<T>(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.shuffle<f32>(a, b, 1, 3, 5, 7)), m);
          }
        } else if (sW == 1) {
          for (let ih = h0; ih < h1; ih++, row += pitch) {
            for (let kw = 0; kw < KW; kw++) {
              const v = v128.load(row + (<usize>kw << 2));
              if (!isFloat<T>()) nan = v128.or(nan, f32x4.ne(v, v));
              m = vmax<T>(v, m);
            }
          }
        } else {
          for (let ih = h0; ih < h1; ih++, row += pitch) {
            for (let kw = 0; kw < KW; kw++) {
              const v = even(row + (<usize>kw << 2));
              if (!isFloat<T>()) nan = v128.or(nan, f32x4.ne(v, v));
              m = vmax<T>(v, m);
            }
          }
        }
        v128.store(yr + (<usize>ow << 2), m);
        ow += 4;
      } else {
        const w0 = imax(ws, 0), w1 = imin(ws + KW, W);
        let m: f32 = -Infinity;
        for (let ih = h0; ih < h1; ih++) {
          const row = xp + (<usize>(ih * W) << 2);
          for (let iw = w0; iw < w1; iw++) {
            const v = load<f32>(row + (<usize>iw << 2));
            if (!isFloat<T>()) nanScalar = nanScalar || v != v;
            m = smax<T>(v, m);
          }
        }
        store<f32>(yr + (<usize>ow << 2), m);
        ow++;
      }
    }
  }
  return nanScalar || v128.any_true(nan);
}

export function maxPool2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const H = planI(frame, 2), W = planI(frame, 3), OH = planI(frame, 4), OW = planI(frame, 5);
  const KH = planI(frame, 6), KW = planI(frame, 7), sH = planI(frame, 8), sW = planI(frame, 9);
  const pT = planI(frame, 10), pL = planI(frame, 12);
  const x = argP(frame, 0), y = argP(frame, 1);
  for (let u = u0; u < u1; u++) {
    const xp = x + (<usize>(u * H * W) << 2);
    const yp = y + (<usize>(u * OH * OW) << 2);
    // The fast pass notes any NaN it reads; only then is the plane redone exactly.
    if (plane<i32>(xp, yp, H, W, OH, OW, KH, KW, sH, sW, pT, pL)) plane<f32>(xp, yp, H, W, OH, OW, KH, KW, sH, sW, pT, pL);
  }
}
