// Conv2D as im2col + packed GEMM per (group, column block). Columns are output positions counted
// across the batch: a large image is split into blocks of NC columns, while small images are
// grouped several to a block (the GEMM then writes a scratch C block that is copied out per
// image), so the filter panels are reused over a wide B block either way. Bias and relu are fused
// into the micro-kernel; with a residual, relu waits for it: the block, still in cache, gets the residual
// and the relu as it is finished (or as it is scattered out of the C block).
// Frame: 0 x, 1 filter, 2 bias (0 = none), 3 y, 4 relu, 5 NC (most columns in a block), 6 packed filter,
// 7 images per block (0: blocks within one image), 8 scratch offset of the C block (bytes),
// 9 scratch offset of the column tables (bytes, 0: run packing), 10 residual (0 = none, y's layout).
// Plan: CONV2D_ENCODING.
import { argI, argP, planI, imin, copyF32, addResidual } from '../common';
import { ACC, KC, MR, RELU, gemmBlock, packA } from '../gemm';
import { im2colColumnTables, im2colPanelStride, packIm2colGather, packIm2colRows } from '../im2col';
import { winogradFilter, winogradInput, winogradMultiply, winogradOutput } from '../winograd';
import { winograd4Filter, winograd4Input, winograd4Multiply, winograd4Output } from '../winograd4';

/** Packs each group's filter [Mg, K] as GEMM A panels, one K block after another. Units: groups. */
export function conv2dPackFilter(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const Cin = planI(frame, 1), Cout = planI(frame, 4), KH = planI(frame, 7), KW = planI(frame, 8), G = planI(frame, 17);
  const K = (Cin / G) * KH * KW;
  const Mg = Cout / G;
  const stride = ((Mg + MR - 1) / MR) * MR * K;
  const filter = argP(frame, 1);
  const dst = argP(frame, 6);
  for (let g = u0; g < u1; g++) {
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = imin(KC, K - k0);
      packA(dst + (<usize>(g * stride + ((Mg + MR - 1) / MR) * MR * k0) << 2), filter + (<usize>(g * Mg * K) << 2), K, 1, Mg, k0, kc);
    }
  }
}

export function conv2d(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const N = planI(frame, 0), Cin = planI(frame, 1), H = planI(frame, 2), W = planI(frame, 3), Cout = planI(frame, 4);
  const OH = planI(frame, 5), OW = planI(frame, 6), KH = planI(frame, 7), KW = planI(frame, 8);
  const sH = planI(frame, 9), sW = planI(frame, 10), dH = planI(frame, 11), dW = planI(frame, 12);
  const pT = planI(frame, 13), pB = planI(frame, 14), pL = planI(frame, 15), pR = planI(frame, 16), G = planI(frame, 17);
  const x = argP(frame, 0), bias = argP(frame, 2), y = argP(frame, 3);
  const relu = argI(frame, 4), NCB = argI(frame, 5), wp = argP(frame, 6), IPB = argI(frame, 7);
  const cOff = argI(frame, 8), tOff = argI(frame, 9), res = argP(frame, 10);
  const Cg = Cin / G, Mg = Cout / G, K = Cg * KH * KW, OHW = OH * OW;
  const imgStride = Cin * H * W;
  const mPad = ((Mg + MR - 1) / MR) * MR;
  const padded = (pT | pB | pL | pR) != 0;
  // Units per group: blocks of whole images, or column blocks within each image.
  const perImage = IPB == 0 ? (OHW + NCB - 1) / NCB : 0;
  const blocks = IPB == 0 ? N * perImage : (N + IPB - 1) / IPB;
  const bpk = scratch;
  const tile = scratch + (<usize>((KC + 1) * ((NCB + 7) & ~7)) << 2);
  const cblk = scratch + <usize>cOff;
  const tables = scratch + <usize>tOff;
  for (let u = u0; u < u1; u++) {
    const g = u / blocks;
    const b = u - g * blocks;
    let F0: i32, nc: i32, c: usize, ldc: i32;
    let rc: usize = 0;
    if (IPB == 0) {
      const n = b / perImage;
      const s0 = (b - n * perImage) * NCB;
      F0 = n * OHW + s0;
      nc = imin(NCB, OHW - s0);
      c = y + (<usize>((n * Cout + g * Mg) * OHW + s0) << 2);
      if (res != 0) rc = res + (<usize>((n * Cout + g * Mg) * OHW + s0) << 2);
      ldc = OHW;
    } else {
      F0 = b * IPB * OHW;
      nc = imin(IPB, N - b * IPB) * OHW;
      c = cblk;
      ldc = nc;
    }
    const xg = x + (<usize>(g * Cg * H * W) << 2);
    if (tOff != 0) im2colColumnTables(tables, imgStride, W, OH, OW, sH, sW, pT, pL, F0, nc);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = imin(KC, K - k0);
      if (tOff != 0) packIm2colGather(bpk, xg, tables, H, W, KH, KW, dH, dW, padded, k0, kc, nc);
      else packIm2colRows(bpk, xg, imgStride, H, W, OH, OW, KH, KW, sH, sW, dH, dW, pT, pL, k0, kc, F0, nc);
      const apk = wp + (<usize>(g * mPad * K + mPad * k0) << 2);
      const flags = (k0 > 0 ? ACC : 0) | (k0 + kc >= K && relu != 0 && res == 0 ? RELU : 0);
      gemmBlock(Mg, nc, kc, apk, bpk, c, ldc, flags, k0 == 0 && bias != 0 ? bias + (<usize>(g * Mg) << 2) : 0, tile, im2colPanelStride(kc));
    }
    if (IPB == 0 && res != 0) {
      for (let m = 0; m < Mg; m++) {
        const row = <usize>(m * ldc) << 2;
        addResidual(c + row, c + row, rc + row, nc, relu != 0);
      }
    }
    if (IPB != 0) {
      // Scatter the C block's image slices to NCHW (adding the residual on the way).
      const imgs = nc / OHW;
      for (let i = 0; i < imgs; i++) {
        const n = b * IPB + i;
        const at = <usize>((n * Cout + g * Mg) * OHW) << 2;
        for (let m = 0; m < Mg; m++) {
          const dst = y + at + (<usize>(m * OHW) << 2), src = cblk + (<usize>(m * nc + i * OHW) << 2);
          if (res != 0) addResidual(dst, src, res + at + (<usize>(m * OHW) << 2), OHW, relu != 0);
          else copyF32(dst, src, OHW);
        }
      }
    }
  }
}

// Winograd F(2x2, 3x3) path for 3x3, stride 1, undilated, ungrouped convolutions with pads of at
// most 1 (see winograd.ts). Frame: 0 x, 1 filter, 2 bias, 3 y, 4 relu, 5 tiles per block (a multiple
// of 8), 6 packed filter transforms, 7 tiles per tile row (a multiple of 4), 8 and 9 scratch
// offsets (bytes) of the product block and the output accumulators, 10 of the GEMM edge tile,
// 11 floats per packed transform position, 12 residual (0 = none). Scratch starts with the input transforms.

/** Filter transforms U_xi, packed per xi. Units: xi (16). Scratch: Cout x Cin floats. */
export function conv2dWinogradFilter(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  winogradFilter(argP(frame, 1), argP(frame, 6), planI(frame, 4), planI(frame, 1), argI(frame, 11), u0, u1, scratch);
}

/** Units: blocks of tiles, counted across the batch. */
export function conv2dWinograd(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const N = planI(frame, 0), Cin = planI(frame, 1), H = planI(frame, 2), W = planI(frame, 3), Cout = planI(frame, 4);
  const OH = planI(frame, 5), OW = planI(frame, 6), pT = planI(frame, 13), pL = planI(frame, 15);
  const x = argP(frame, 0), bias = argP(frame, 2), y = argP(frame, 3), relu = argI(frame, 4) != 0;
  const NT = argI(frame, 5), upk = argP(frame, 6), TWp = argI(frame, 7), uStride = argI(frame, 11);
  const m = scratch + <usize>argI(frame, 8), yacc = scratch + <usize>argI(frame, 9), tile = scratch + <usize>argI(frame, 10);
  const TH = (OH + 1) >> 1;
  const total = N * TH * TWp;
  for (let u = u0; u < u1; u++) {
    const t0 = u * NT;
    const nt = imin(NT, total - t0);
    const ncp = (nt + 7) & ~7;
    winogradInput(x, scratch, Cin, H, W, TH, TWp, pT, pL, t0, nt, ncp);
    winogradMultiply(upk, uStride, scratch, m, yacc, Cout, Cin, nt, ncp, tile);
    winogradOutput(yacc, y, bias, argP(frame, 12), relu, Cout, OH, OW, TH, TWp, t0, nt, ncp);
  }
}

// Winograd F(4x4, 3x3) path, for filters core marked constant (see winograd4.ts), same geometry limits.
// Frame: 0 x, 1 filter, 2 bias, 3 y, 4 relu, 5 tiles per block (a multiple of 8), 6 packed filter
// transforms (kept with the filter), 7 tiles per tile row, 8, 9 and 10 scratch
// offsets (bytes) of the product planes, the transforms' temporaries and the GEMM edge tile, 11 floats
// per packed transform position, 12 residual (0 = none). Scratch starts with the input transforms.

/** Filter transforms U_xi, packed per xi. Units: xi (36). Scratch: Cout x Cin floats. */
export function conv2dWinograd4Filter(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  winograd4Filter(argP(frame, 1), argP(frame, 6), planI(frame, 4), planI(frame, 1), argI(frame, 11), u0, u1, scratch);
}

/** Units: blocks of tiles, counted across the batch. */
export function conv2dWinograd4(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const N = planI(frame, 0), Cin = planI(frame, 1), H = planI(frame, 2), W = planI(frame, 3), Cout = planI(frame, 4);
  const OH = planI(frame, 5), OW = planI(frame, 6), pT = planI(frame, 13), pL = planI(frame, 15);
  const x = argP(frame, 0), bias = argP(frame, 2), y = argP(frame, 3), relu = argI(frame, 4) != 0;
  const NT = argI(frame, 5), upk = argP(frame, 6), TW = argI(frame, 7), uStride = argI(frame, 11);
  const m = scratch + <usize>argI(frame, 8), tmp = scratch + <usize>argI(frame, 9), tile = scratch + <usize>argI(frame, 10);
  const TH = (OH + 3) >> 2;
  const total = N * TH * TW;
  for (let u = u0; u < u1; u++) {
    const t0 = u * NT;
    // Whole groups of four tiles: lanes past the last tile read zeros and are never written out.
    const nt = (imin(NT, total - t0) + 3) & ~3;
    const ncp = (nt + 7) & ~7;
    winograd4Input(x, scratch, Cin, H, W, TH, TW, total, pT, pL, t0, nt, ncp, tmp);
    winograd4Multiply(upk, uStride, scratch, m, Cout, Cin, nt, ncp, tile);
    winograd4Output(m, y, bias, argP(frame, 12), relu, Cout, OH, OW, TH, TW, total, t0, nt, ncp, tmp);
  }
}
