// dx = col2im(W^T dy) per (image, group): each unit owns its dx slice, so units never race.
// Frame: 0 dy, 1 filter, 3 dx, 5 NC, 6 packed W^T. Plan: CONV2D_ENCODING.
import { argI, argP, planI, imin, zeroF32 } from '../common';
import { ACC, KC, MR, NR, gemmBlock, packA, packB } from '../gemm';
import { col2imAdd } from '../im2col';

/** Packs each group's W^T [K, Mg] as A panels. Units: groups. */
export function conv2dBackpropInputPackFilter(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const Cin = planI(frame, 1), Cout = planI(frame, 4), KH = planI(frame, 7), KW = planI(frame, 8), G = planI(frame, 17);
  const K = (Cin / G) * KH * KW;
  const Mg = Cout / G;
  const kPad = ((K + MR - 1) / MR) * MR;
  const filter = argP(frame, 1);
  const dst = argP(frame, 6);
  for (let g = u0; g < u1; g++) {
    for (let k0 = 0; k0 < Mg; k0 += KC) {
      const kc = imin(KC, Mg - k0);
      packA(dst + (<usize>(g * kPad * Mg + kPad * k0) << 2), filter + (<usize>(g * Mg * K) << 2), 1, K, K, k0, kc);
    }
  }
}

export function conv2dBackpropInput(frame: usize, u0: i32, u1: i32, scratch: usize): void {
  const Cin = planI(frame, 1), H = planI(frame, 2), W = planI(frame, 3), Cout = planI(frame, 4);
  const OH = planI(frame, 5), OW = planI(frame, 6), KH = planI(frame, 7), KW = planI(frame, 8);
  const sH = planI(frame, 9), sW = planI(frame, 10), dH = planI(frame, 11), dW = planI(frame, 12);
  const pT = planI(frame, 13), pL = planI(frame, 15), G = planI(frame, 17);
  const dy = argP(frame, 0), dx = argP(frame, 3);
  const NCB = argI(frame, 5), wp = argP(frame, 6);
  const Cg = Cin / G, Mg = Cout / G, K = Cg * KH * KW, OHW = OH * OW;
  const kPad = ((K + MR - 1) / MR) * MR;
  const bpk = scratch;
  const dcol = bpk + (<usize>(KC * NCB) << 2);
  const tile = dcol + (<usize>(K * NCB) << 2);
  for (let u = u0; u < u1; u++) {
    const g = u % G;
    const n = u / G;
    const dxg = dx + (<usize>((n * Cin + g * Cg) * H * W) << 2);
    zeroF32(dxg, Cg * H * W);
    const dyg = dy + (<usize>((n * Cout + g * Mg) * OHW) << 2);
    for (let s0 = 0; s0 < OHW; s0 += NCB) {
      const nc = imin(NCB, OHW - s0);
      for (let k0 = 0; k0 < Mg; k0 += KC) {
        const kc = imin(KC, Mg - k0);
        packB(bpk, dyg, OHW, 1, k0, kc, s0, nc);
        gemmBlock(K, nc, kc, wp + (<usize>(g * kPad * Mg + kPad * k0) << 2), bpk, dcol, nc, k0 > 0 ? ACC : 0, 0, tile, kc * NR);
      }
      col2imAdd(dcol, dxg, H, W, OW, KH, KW, sH, sW, dH, dW, pT, pL, K, s0, nc);
    }
  }
}
