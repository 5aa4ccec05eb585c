// Conv2D as im2col + packed GEMM per (image, group, column block). Work unit u covers output
// positions [cb * NC, cb * NC + NC) of image n, group g; bias and relu are fused into the micro-kernel.
// Frame: 0 x, 1 filter, 2 bias (0 = none), 3 y, 4 relu, 5 NC, 6 packed filter. Plan: CONV2D_ENCODING.
import { argI, argP, planI, imin } from '../common';
import { ACC, KC, MR, RELU, gemmBlock, packA } from '../gemm';
import { packIm2col } from '../im2col';

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
  const Cin = planI(frame, 1), H = planI(frame, 2), W = planI(frame, 3), Cout = planI(frame, 4);
  const OH = planI(frame, 5), OW = planI(frame, 6), KH = planI(frame, 7), KW = planI(frame, 8);
  const sH = planI(frame, 9), sW = planI(frame, 10), dH = planI(frame, 11), dW = planI(frame, 12);
  const pT = planI(frame, 13), pL = planI(frame, 15), G = planI(frame, 17);
  const x = argP(frame, 0), bias = argP(frame, 2), y = argP(frame, 3);
  const relu = argI(frame, 4), NCB = argI(frame, 5), wp = argP(frame, 6);
  const Cg = Cin / G, Mg = Cout / G, K = Cg * KH * KW, OHW = OH * OW;
  const colBlocks = (OHW + NCB - 1) / NCB;
  const mPad = ((Mg + MR - 1) / MR) * MR;
  const bpk = scratch;
  const tile = scratch + (<usize>(KC * NCB) << 2);
  for (let u = u0; u < u1; u++) {
    const cb = u % colBlocks;
    const t = u / colBlocks;
    const g = t % G;
    const n = t / G;
    const s0 = cb * NCB;
    const nc = imin(NCB, OHW - s0);
    const xg = x + (<usize>((n * Cin + g * Cg) * H * W) << 2);
    const yg = y + (<usize>((n * Cout + g * Mg) * OHW + s0) << 2);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = imin(KC, K - k0);
      packIm2col(bpk, xg, H, W, OW, KH, KW, sH, sW, dH, dW, pT, pL, k0, kc, s0, nc);
      const apk = wp + (<usize>(g * mPad * K + mPad * k0) << 2);
      const flags = (k0 > 0 ? ACC : 0) | (k0 + kc >= K && relu != 0 ? RELU : 0);
      gemmBlock(Mg, nc, kc, apk, bpk, yg, OHW, flags, k0 == 0 && bias != 0 ? bias + (<usize>(g * Mg) << 2) : 0, tile);
    }
  }
}
